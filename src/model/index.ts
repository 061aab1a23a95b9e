export * from "./environments";
export * from "./errors";
export * from "./naming";
export * from "./parity";
export * from "./schema";
export * from "./spec";
export * from "./catalogue";
export * from "./ipv4";
