import {
  environments,
  loadSpecFromFile,
  readStackConfigFile,
  stackFileOf,
  type StackName,
} from "../src/model";
import { stackConfigKey } from "./baselines";
import { POLICY_DEFINITIONS } from "./catalog";

/**
 * A policy config that gives every policy reading stack files its baselines: for each such
 * policy, `<stack>Stack` set to the `config:` map of each stack's file. A published pack, which
 * runs where no stack file exists, is enabled with it (`pulumi policy enable --config`); a local
 * one given it (`--policy-pack-config`) judges against these maps rather than the files. Every
 * file is validated first, as the program validates it: a broken file throws ConfigErrors naming
 * the file and key, and no config is made.
 */
export function baselinePolicyConfig(
  files: Readonly<Record<StackName, string>>,
): Record<string, Record<string, Record<string, unknown>>> {
  const maps = environments().names.map((stack) => {
    const file = stackFileOf(files, stack);
    loadSpecFromFile(file, stack);
    return [stackConfigKey(stack), readStackConfigFile(file)] as const;
  });
  const config: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const definition of POLICY_DEFINITIONS) {
    const keys = new Set(
      environments().names.flatMap((s) => Object.keys(definition.settings?.(s) ?? {})),
    );
    const given = maps.filter(([key]) => keys.has(key));
    if (given.length > 0) config[definition.name] = Object.fromEntries(given);
  }
  return config;
}

/** Where the Pulumi CLI's behaviour that a published pack rests on is written. */
export const PUBLISHED = {
  /** `pulumi policy publish [org]` publishes the pack in the working directory. */
  publishCommand:
    "https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/cmd/pulumi/policy/policy_publish.go#L116-L162",
  /** It asks the pack for its metadata, then uploads what `npm pack` makes of the directory. */
  publish:
    "https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/backend/httpstate/policypack.go#L397-L461",
  /** Each stack's run extracts it under the Pulumi home and installs its dependencies there. */
  install:
    "https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/backend/httpstate/policypack.go#L499-L577",
} as const;

/** The policy doc's section on baselines: where each comes from, and how a published pack gets them. */
export function baselinesSection(): string[] {
  return [
    "",
    "## Baselines",
    "",
    "Several policies compare the stack being previewed with stack files, its baselines (`stage-mirrors-prod` reads prod's, the GitHub policies every stack's). Each of them takes, per stack, the settings `<stack>Stack` and `<stack>StackFile`, and a stack's baseline is, in this order:",
    "",
    "1. `<stack>Stack`, when the policy config gives it: the `config:` map of Pulumi.<stack>.yaml, validated as the program validates the file (an error names `policy config <stack>Stack`, the key, what was expected and what was found).",
    "2. `<stack>StackFile`, when the policy config sets it: that stack file, relative to the pack directory. The gate (`envstack preview`) sets it to the files of `--project-dir` and `--config-file`.",
    "3. Left at its default, the stack file the program reads: Pulumi.<stack>.yaml in the project the pack sits in (the nearest directory above the pack holding a Pulumi.yaml, not inside node_modules), or the file `ENVSTACK_STACK_FILES` names for the stack. So `pulumi preview --policy-pack policies` and `pulumi preview --policy-pack dist/pack` read the committed files.",
    "",
    `A published pack runs where no project exists: \`pulumi policy publish\`, run in the pack directory ([command](${PUBLISHED.publishCommand})), uploads that directory alone ([publish](${PUBLISHED.publish})), and each preview installs it under the Pulumi home with its own dependencies ([install](${PUBLISHED.install})). Give it its baselines through its config: \`envstack policies --config > baselines.json\` prints a policy config giving every such policy the \`<stack>Stack\` maps of the committed stack files, and \`pulumi policy enable <org>/envstack-policies <version> --config baselines.json\` applies it (locally, \`pulumi preview --policy-pack dist/pack --policy-pack-config baselines.json\` runs the pack as published). The maps are a copy: enable the pack again with a new config whenever a stack file changes. A pack given none of the three reports, from each policy that needs the baseline and at that policy's level, \`Give the policy the <stack> baseline before this check can run: ...\`, and checks nothing against it.`,
  ];
}
