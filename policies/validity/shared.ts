import { POSTGRES_VERSIONS, isPostgresVersion, type Role } from "../../src/model";
import { read, type Level, type Report } from "../support";

export const VPC = "aws:ec2/vpc:Vpc";
export const LISTENERS = ["aws:lb/listener:Listener", "aws:alb/listener:Listener"];

/** AWS refuses these at apply whatever the stack: block the preview in every stack. */
export const EVERYWHERE: Readonly<Record<Role, Level>> = {
  development: "mandatory",
  "production-like": "mandatory",
  production: "mandatory",
};

/** Reads a property; an unknown value is noted as an advisory and yields undefined. */
export function known(
  report: Report,
  props: unknown,
  path: string,
): { value: unknown } | undefined {
  const r = read(props, path);
  if (r.known) return { value: r.value };
  report(`Cannot check ${path} during preview: ${r.reason}.`, { level: "advisory" });
  return undefined;
}

/** `16` (a major version RDS resolves to its default minor) or a catalogue `16.13`. */
export function creatable(version: string): boolean {
  if (/^\d+$/.test(version)) return POSTGRES_VERSIONS.some((v) => v.startsWith(`${version}.`));
  return isPostgresVersion(version);
}
