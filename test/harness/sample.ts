import * as path from "node:path";
import { environments, loadSpecFromFile } from "../../src/model";

/**
 * What the committed stack files declare, read from them: the tests derive every name from
 * these and never spell the sample's own (another app, region or repository in the stack files
 * changes the expectations with it).
 */
const ROOT = path.resolve(__dirname, "..", "..");
const production = environments().production;
const spec = loadSpecFromFile(path.join(ROOT, `Pulumi.${production}.yaml`), production);

export const SAMPLE = {
  app: spec.app,
  region: spec.region,
  owner: spec.github.owner,
  repository: spec.github.repository,
} as const;
