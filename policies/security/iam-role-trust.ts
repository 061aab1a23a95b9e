import { MAX_ACCESS_SESSION_SECONDS } from "../../src/model";
import { baselineOf, stackFileSettings } from "../baselines";
import {
  IAM_ROLE,
  conditionValues,
  principalAccount,
  readDocument,
  restrictsAccount,
} from "../iam";
import { isUnknown, read, show, toNumber, type ResourcePolicyDefinition } from "../support";
import { TRUSTED_SERVICES, ownAccount, trustsGithubOidc } from "./shared";

export const iamRoleTrust: ResourcePolicyDefinition = {
  name: "iam-role-trust",
  description:
    "Checks whether every IAM role trusts only whom it is for: no one (\"*\") without an account condition, no NotPrincipal, principals of the stack's own account only, the services that take the environment's roles only; an access role (tagged team-role) only this account's people of that team, signed in with MFA, for sessions of at most an hour. Roles GitHub Actions assumes are ci-deploy-role-trust's.",
  severity: "critical",
  documentation:
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html",
  remediationSteps:
    "Trust principals of the stack's account by ARN (arn:aws:iam::<account>:root with conditions, or named roles), services only for the roles they take (ECS tasks, flow logs); on access roles require Bool aws:MultiFactorAuthPresent true, NumericLessThan aws:MultiFactorAuthAge at most 3600 and StringEquals aws:PrincipalTag/team-role, and keep maxSessionDuration at most 3600. Set envstack:accountId so the account is checked offline.",
  levels: { development: "advisory", "production-like": "mandatory", production: "mandatory" },
  suppressible: true,
  settings: () => ({
    ...stackFileSettings(),
    trustedServices: {
      type: "array",
      items: { type: "string" },
      description: "Service principals that may assume the stack's roles.",
      default: TRUSTED_SERVICES,
    },
  }),
  validateResource: (args, report, { stack, settings }) => {
    if (args.type !== IAM_ROLE) return;
    const trust = read(args.props, "assumeRolePolicy");
    if (!trust.known) {
      report(`Cannot check assumeRolePolicy during preview: ${trust.reason}.`, {
        level: "advisory",
      });
      return;
    }
    const doc = readDocument(trust.value);
    if (isUnknown(doc)) {
      report(`Cannot check assumeRolePolicy during preview: ${doc.reason}.`, { level: "advisory" });
      return;
    }
    if (doc === undefined) {
      report(
        `Make the assumeRolePolicy of ${args.name} a JSON policy document: it cannot be read.`,
      );
      return;
    }
    if (doc.statements.some(trustsGithubOidc)) return;
    const baseline = baselineOf(settings, stack);
    if (!baseline.ok) {
      report(baseline.message);
      return;
    }
    const account = ownAccount(baseline.spec.accountId, args.props);
    const team = read(args.props, "tags.team-role");
    const person = team.known && typeof team.value === "string" ? team.value : undefined;
    const services = settings.list("trustedServices");
    const trusts = (who: string, why: string) =>
      report(`Remove the trust of ${who} from ${args.name}: ${why}.`);
    for (const s of doc.statements) {
      if (s.effect !== "Allow") continue;
      const p = s.principals;
      if (p === undefined) continue;
      if (p.not) {
        report(
          `Remove NotPrincipal from the trust of ${args.name}: an Allow with NotPrincipal trusts every principal it does not name.`,
        );
        continue;
      }
      if (p.anyone && !restrictsAccount(s)) {
        trusts(
          'everyone ("*")',
          `a role is assumed only by principals of ${stack}'s account (add an aws:PrincipalAccount condition at least)`,
        );
        continue;
      }
      for (const [kind, values] of Object.entries(p.byKind)) {
        for (const value of values) {
          if (kind === "AWS") {
            if (value === "*") continue;
            const of = principalAccount(value);
            if (account === undefined) {
              report(
                `Cannot check that ${value}, trusted by ${args.name}, belongs to ${stack}'s account: set envstack:accountId or a permissions boundary.`,
                { level: "advisory" },
              );
            } else if (of !== account) {
              trusts(
                value,
                `only principals of ${stack}'s account ${account} may assume its roles`,
              );
            }
          } else if (kind === "Service") {
            if (person !== undefined)
              trusts(
                `the service ${value}`,
                "an access role is assumed by people, never by a service",
              );
            else if (!services.includes(value))
              trusts(`the service ${value}`, `only ${services.join(", ")} take ${stack}'s roles`);
          } else {
            trusts(
              `${kind} ${value}`,
              `${stack}'s roles trust the account's principals and its services; GitHub Actions is the only federated identity (ci-deploy-role-trust)`,
            );
          }
        }
      }
      if (person === undefined) continue;
      if (!conditionValues(s, "Bool", "aws:MultiFactorAuthPresent").includes("true"))
        report(
          `Require MFA in the trust of ${args.name} (Bool aws:MultiFactorAuthPresent "true"): people assume access roles only signed in with MFA.`,
        );
      const ages = [
        ...conditionValues(s, "NumericLessThan", "aws:MultiFactorAuthAge"),
        ...conditionValues(s, "NumericLessThanEquals", "aws:MultiFactorAuthAge"),
      ].map(toNumber);
      if (ages.length === 0 || ages.some((a) => !(a <= MAX_ACCESS_SESSION_SECONDS)))
        report(
          `Set NumericLessThan aws:MultiFactorAuthAge to at most ${MAX_ACCESS_SESSION_SECONDS} in the trust of ${args.name}: an MFA sign-in is good for an hour (found ${ages.length === 0 ? "nothing" : ages.join(", ")}).`,
        );
      const tag = conditionValues(s, "StringEquals", `aws:PrincipalTag/team-role`);
      if (tag.length !== 1 || tag[0] !== person)
        report(
          `Set StringEquals aws:PrincipalTag/team-role to ${person} in the trust of ${args.name}: only that team's people assume its access role (found ${show(tag.length === 0 ? undefined : tag)}).`,
        );
    }
    if (person === undefined) return;
    const session = read(args.props, "maxSessionDuration");
    if (!session.known) {
      report(`Cannot check maxSessionDuration of ${args.name} during preview: ${session.reason}.`, {
        level: "advisory",
      });
      return;
    }
    // Unset, a role's sessions last one hour: https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
    if (session.value !== undefined && !(toNumber(session.value) <= MAX_ACCESS_SESSION_SECONDS))
      report(
        `Set maxSessionDuration on ${args.name} to at most ${MAX_ACCESS_SESSION_SECONDS} seconds: access sessions last at most an hour (found ${show(session.value)}).`,
      );
  },
};
