"use strict";
const { envstack } = require("../shared/environment");

module.exports = envstack();
