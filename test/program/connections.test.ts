import { SAMPLE } from "../harness/sample";
import { beforeAll, describe, expect, it } from "vitest";
import { environments, type StackName } from "../../src/model";
import { json, runStack, unsecret, type ProgramRun } from "./harness";

const PARAMETER = "aws:ssm/parameter:Parameter";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const RDS_SECRET = `arn:aws:secretsmanager:${SAMPLE.region}:123456789012:secret:rds!db-database-primary`;

describe.each(environments().names)(
  "the %s application's connection details",
  (stack: StackName) => {
    let run: ProgramRun;
    let children: ProgramRun["resources"];
    beforeAll(async () => {
      run = await runStack(stack);
      const component = run.resources.find((r) => r.type === "envstack:aws:AppConnections");
      children = run.resources.filter((r) => r.parent === component?.urn);
    });

    it("publishes endpoints and secret ARNs under the path the app reads", () => {
      const host = (name: string) => `${name}.c9akciq32.${SAMPLE.region}.rds.amazonaws.com:5432`;
      const readers = run.spec.database.readReplicas > 0 ? host("database-replica-1") : "-";
      expect(
        children
          .filter((r) => r.type === PARAMETER)
          .map((p) => [p.inputs["name"], p.inputs["type"], unsecret(p.inputs["value"])])
          .sort(),
      ).toEqual([
        [
          `/${stack}/${SAMPLE.app}/connections/cache/auth-token-secret-arn`,
          "String",
          `arn:aws:secretsmanager:${SAMPLE.region}:123456789012:secret:/${stack}/${SAMPLE.app}/cache/auth-token`,
        ],
        [
          `/${stack}/${SAMPLE.app}/connections/cache/endpoint`,
          "String",
          "clustercfg.cache-redis.abc123.euw1.cache.amazonaws.com",
        ],
        [
          `/${stack}/${SAMPLE.app}/connections/database/endpoint`,
          "String",
          host("database-primary"),
        ],
        [`/${stack}/${SAMPLE.app}/connections/database/reader-endpoints`, "String", readers],
        [`/${stack}/${SAMPLE.app}/connections/database/secret-arn`, "String", RDS_SECRET],
      ]);
    });

    it("lets the task role read exactly those two secrets", () => {
      const policy = children.find((r) => r.type === ROLE_POLICY)!;
      expect(policy.inputs["role"]).toBe(`${SAMPLE.app}-${stack}-task`);
      const document = json<{ Statement: { Sid: string; Action: unknown; Resource: unknown }[] }>(
        policy.inputs["policy"],
      );
      expect(document.Statement.map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
        [
          "ReadConnectionSecrets",
          ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
          [
            RDS_SECRET,
            `arn:aws:secretsmanager:${SAMPLE.region}:123456789012:secret:/${stack}/${SAMPLE.app}/cache/auth-token`,
          ],
        ],
        [
          "DecryptConnectionSecrets",
          "kms:Decrypt",
          [
            `arn:aws:kms:${SAMPLE.region}:123456789012:key/database-key`,
            `arn:aws:kms:${SAMPLE.region}:123456789012:key/cache-key`,
          ],
        ],
      ]);
    });
  },
);
