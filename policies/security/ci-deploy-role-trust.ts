import { githubOidcSubject } from "../../src/model/github-rules";
import { baselineOf, stackFileSettings } from "../baselines";
import { IAM_ROLE } from "../iam";
import { read, show, type ResourcePolicyDefinition } from "../support";
import {
  GITHUB_OIDC_HOST,
  GITHUB_OIDC_AUDIENCE,
  statementsOf,
  asList,
  trustsGithub,
  conditionValue,
} from "./shared";

export const ciDeployRoleTrust: ResourcePolicyDefinition = {
  name: "ci-deploy-role-trust",
  description:
    "Checks whether a role assumable with GitHub Actions OIDC tokens trusts only jobs in the stack's own GitHub deployment environment, for the STS audience: never pull-request jobs, other branches or other repositories.",
  severity: "critical",
  remediationSteps:
    "Trust the OIDC provider only with StringEquals on token.actions.githubusercontent.com:sub = repo:<owner>/<repository>:environment:<stack> and :aud = sts.amazonaws.com; never StringLike wildcards, the pull-request subject or other principals. Pull-request code runs before any review and holds no cloud credential. This rule cannot be suppressed.",
  levels: { development: "mandatory", "production-like": "mandatory", production: "mandatory" },
  suppressible: false,
  settings: stackFileSettings,
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const trust = read(args.props, "assumeRolePolicy");
    if (!trust.known) {
      report(`Cannot check assumeRolePolicy during preview: ${trust.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const statements = statementsOf(trust.value) ?? [];
    if (!statements.some(trustsGithub)) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const { owner, repository } = baseline.spec.github;
    const subject = githubOidcSubject(owner, repository, stack);
    const who = `only jobs in the ${stack} GitHub environment may deploy`;
    for (const s of statements) {
      if (s["Effect"] !== "Allow") continue;
      if (!trustsGithub(s)) {
        report(
          `Remove the trust of ${show(s["Principal"])} from ${args.name}: the CI deploy role trusts only GitHub Actions jobs in the ${stack} environment.`,
        );
        continue;
      }
      const sub = conditionValue(s, "StringEquals", `${GITHUB_OIDC_HOST}:sub`);
      const subs = asList(sub);
      if (
        subs.length !== 1 ||
        subs[0] !== subject ||
        conditionValue(s, "StringLike", `${GITHUB_OIDC_HOST}:sub`) !== undefined
      ) {
        report(
          `Set the trust condition StringEquals ${GITHUB_OIDC_HOST}:sub to ${subject} on ${args.name}: ${who} (found ${show(sub ?? conditionValue(s, "StringLike", `${GITHUB_OIDC_HOST}:sub`))}).`,
        );
      }
      const aud = conditionValue(s, "StringEquals", `${GITHUB_OIDC_HOST}:aud`);
      const auds = asList(aud);
      if (auds.length !== 1 || auds[0] !== GITHUB_OIDC_AUDIENCE) {
        report(
          `Set the trust condition StringEquals ${GITHUB_OIDC_HOST}:aud to ${GITHUB_OIDC_AUDIENCE} on ${args.name}: tokens must be minted for AWS STS (found ${show(aud)}).`,
        );
      }
    }
  },
};
