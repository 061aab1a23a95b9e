import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { componentTags } from "./naming";

export interface FeatureFlagsArgs {
  /** Parameter path the flags live under, `/<stack>/<app>/flags`. No default. */
  readonly path: string;
  /** Flag values by name; each becomes a String parameter holding `String(value)`. */
  readonly flags: Readonly<Record<string, boolean | string | number>>;
}

/** Feature flags as SSM parameters `<path>/<name>`, read by the app at run time. */
export class FeatureFlags extends pulumi.ComponentResource {
  /** Parameter names by flag. */
  public readonly parameterNames: Record<string, string>;

  constructor(name: string, args: FeatureFlagsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:FeatureFlags", name, {}, opts);
    const tags = componentTags("flags");
    this.parameterNames = {};
    for (const [flag, value] of Object.entries(args.flags)) {
      const parameterName = `${args.path}/${flag}`;
      new aws.ssm.Parameter(
        `${name}-${flag}`,
        {
          name: parameterName,
          type: "String",
          tier: "Standard",
          value: String(value),
          description: `Feature flag ${flag}`,
          tags,
        },
        { parent: this },
      );
      this.parameterNames[flag] = parameterName;
    }
    this.registerOutputs({ parameterNames: this.parameterNames });
  }
}
