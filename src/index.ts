/**
 * envstack as a library: the components, the function that declares a whole environment from a
 * validated spec, and the model that validates stack files. Importing it declares nothing; the
 * program Pulumi.yaml names is `envstack/program` (src/program/main.ts), which reads the stack's config
 * and calls `declareEnvironment`.
 */
export { declareEnvironment } from "./program";
export {
  Access,
  AppConnections,
  AppService,
  Cache,
  Database,
  DeployRole,
  FeatureFlags,
  Network,
  Observability,
  Services,
  declareAwsEnvironment,
  type AwsEnvironment,
  type AwsEnvironmentOptions,
} from "./aws";
export {
  BranchRules,
  DeploymentEnvironment,
  EnvironmentGuards,
  declareGuards,
  type BranchRulesArgs,
  type DeploymentEnvironmentArgs,
  type EnvironmentGuardsArgs,
  type Guards,
  type GuardsOptions,
} from "./delivery";
export * as model from "./model";
