export * from "./environments";
export * from "./errors";
export * from "./guards";
export * from "./naming";
export * from "./parity";
export * from "./schema";
export * from "./spec";
