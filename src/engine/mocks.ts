import type * as pulumi from "@pulumi/pulumi";

/** The account the offline gate pretends to deploy into. */
export const MOCK_ACCOUNT_ID = "123456789012";

function serviceOf(type: string): string {
  // "aws:rds/instance:Instance" -> "rds"
  return type.split(":")[1]?.split("/")[0]?.toLowerCase() ?? "unknown";
}

/**
 * Computed outputs the engine would fill in after create, shaped like the real provider's, so
 * that code composing them (ARNs into policies, endpoints into exports) sees realistic values.
 */
/** An IAM entity's path (`/` unless set). */
function iamPath(inputs: Record<string, unknown>): string {
  return typeof inputs["path"] === "string" ? inputs["path"] : "/";
}

function computedOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  const arn = (resource: string) =>
    `arn:aws:${serviceOf(type)}:${region}:${MOCK_ACCOUNT_ID}:${resource}`;
  switch (type) {
    // An IAM ARN carries the entity's path: arn:aws:iam::<account>:role/<path><name>
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns).
    case "aws:iam/role:Role":
      return {
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role${iamPath(inputs)}${inputs["name"] ?? name}`,
        uniqueId: `AROA${name.length}MOCK`,
      };
    case "aws:iam/policy:Policy":
      return {
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy${iamPath(inputs)}${inputs["name"] ?? name}`,
      };
    case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
      return {
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
      };
    case "aws:lb/loadBalancer:LoadBalancer":
      return {
        arn: arn(`loadbalancer/app/${name}/50dc6c495c0c9188`),
        dnsName: `${name}-1234567890.${region}.elb.amazonaws.com`,
        zoneId: "Z32O12XQLNTSW2",
        arnSuffix: `app/${name}/50dc6c495c0c9188`,
      };
    case "aws:lb/targetGroup:TargetGroup":
      return {
        arn: arn(`targetgroup/${name}/6d0ecf831eec9f09`),
        arnSuffix: `targetgroup/${name}/6d0ecf831eec9f09`,
      };
    case "aws:rds/instance:Instance":
      return {
        arn: arn(`db:${name}`),
        address: `${name}.c9akciq32.${region}.rds.amazonaws.com`,
        endpoint: `${name}.c9akciq32.${region}.rds.amazonaws.com:5432`,
        identifier: inputs["identifier"] ?? name,
        masterUserSecrets: inputs["manageMasterUserPassword"]
          ? [
              {
                secretArn: `arn:aws:secretsmanager:${region}:${MOCK_ACCOUNT_ID}:secret:rds!db-${name}`,
                secretStatus: "active",
              },
            ]
          : [],
      };
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return {
        arn: arn(`replicationgroup:${name}`),
        configurationEndpointAddress: `clustercfg.${name}.abc123.euw1.cache.amazonaws.com`,
      };
    case "aws:ecs/cluster:Cluster":
      return { arn: arn(`cluster/${inputs["name"] ?? name}`), name: inputs["name"] ?? name };
    case "aws:ecs/service:Service":
      return { name: inputs["name"] ?? name };
    case "aws:ecs/taskDefinition:TaskDefinition":
      return { arn: arn(`task-definition/${inputs["family"] ?? name}:1`), revision: 1 };
    case "aws:cloudwatch/logGroup:LogGroup":
      // Log groups live in the `logs` service namespace, not `cloudwatch`.
      return {
        arn: `arn:aws:logs:${region}:${MOCK_ACCOUNT_ID}:log-group:${inputs["name"] ?? name}`,
      };
    case "aws:sns/topic:Topic":
      return { arn: arn((inputs["name"] as string) ?? name) };
    case "aws:kms/key:Key":
      return { arn: arn(`key/${name}`), keyId: `${name}-key-id` };
    case "aws:secretsmanager/secret:Secret":
      return { arn: arn(`secret:${inputs["name"] ?? name}`) };
    case "aws:ec2/vpc:Vpc":
      return { arn: arn(`vpc/${name}`), defaultSecurityGroupId: `sg-default-${name}` };
    // arn:aws:lambda:<region>:<account>:function:<name>
    // (https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html).
    case "aws:lambda/function:Function":
      return {
        arn: arn(`function:${inputs["name"] ?? name}`),
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn(`function:${inputs["name"] ?? name}`)}/invocations`,
      };
    // arn:aws:elasticloadbalancing:<region>:<account>:listener-rule/app/<lb>/<lb id>/<listener id>/<rule id>
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html).
    case "aws:lb/listenerRule:ListenerRule":
      return {
        arn: arn(`listener-rule/app/service-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/${name}`),
      };
    case "github:index/repositoryRuleset:RepositoryRuleset": {
      let hash = 0;
      for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) % 9_000_000;
      return { rulesetId: 1_000_000 + hash, nodeId: `RRS_${name}`, etag: `W/"${name}"` };
    }
    default:
      return { arn: arn(name) };
  }
}

function availabilityZones(region: string): string[] {
  return ["a", "b", "c", "d", "e", "f"].map((s) => `${region}${s}`);
}

/** Results of the invokes (data sources) the program makes, as the providers would answer. */
function invokeResult(
  token: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  switch (token) {
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const names = availabilityZones(region);
      return {
        names,
        zoneIds: names.map((_, i) => `euw1-az${i + 1}`),
        state: "available",
        id: region,
      };
    }
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/gate`,
        userId: "AIDAGATE",
        id: MOCK_ACCOUNT_ID,
      };
    case "aws:index/getRegion:getRegion":
      return { name: region, region, id: region, description: region };
    case "aws:secretsmanager/getRandomPassword:getRandomPassword": {
      // Deterministic, so that offline runs are reproducible; shaped by the requested length.
      const length = Number(inputs["passwordLength"] ?? 32);
      return {
        ...inputs,
        randomPassword: "0fflineMockPassw0rd".repeat(Math.ceil(length / 19)).slice(0, length),
        id: "random-password",
      };
    }
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" };
    case "aws:iam/getOpenidConnectProvider:getOpenidConnectProvider":
    case "aws:iam/getOpenIdConnectProvider:getOpenIdConnectProvider":
      return {
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com`,
        url: inputs["url"],
        id: "oidc",
      };
    case "aws:elb/getServiceAccount:getServiceAccount":
      return { arn: "arn:aws:iam::156460612806:root", id: "156460612806" };
    case "github:index/getTeam:getTeam": {
      const slug = String(inputs["slug"] ?? "team");
      let hash = 0;
      for (const ch of slug) hash = (hash * 31 + ch.charCodeAt(0)) % 9_000_000;
      return { id: String(1_000_000 + hash), nodeId: `T_${slug}`, slug, name: slug };
    }
    case "github:index/getUser:getUser": {
      const username = String(inputs["username"] ?? "user");
      let hash = 0;
      for (const ch of username) hash = (hash * 17 + ch.charCodeAt(0)) % 9_000_000;
      return { id: String(2_000_000 + hash), login: username, nodeId: `U_${username}` };
    }
    default:
      return { ...inputs };
  }
}

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/**
 * A stack reference, read as the engine's builtin provider reads one: its ID is the referenced
 * stack's name and its `name` is known; `outputs` and `secretOutputNames` come from the backend,
 * which the gate does not have, so they are left unknown (omitted in a preview): whatever the
 * program builds from them is unknown to the pack, as a value computed during the update is.
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/deploy/builtins.go#L278-L308
 * https://github.com/pulumi/pulumi/blob/1b5949891b3cefcb9974752b24a5ecef0acc86c8/pkg/resource/deploy/builtins.go#L371-L420
 */
function stackReference(
  args: pulumi.runtime.MockResourceArgs,
  inputs: Record<string, unknown>,
): { id: string; state: Record<string, unknown> } {
  const name = typeof inputs["name"] === "string" ? inputs["name"] : (args.id ?? args.name);
  return { id: args.id || name, state: { name } };
}

/** Mocks for offline runs: inputs echoed back, plus realistic computed outputs and invokes. */
export function realisticMocks(region: string): pulumi.runtime.Mocks {
  return {
    newResource(args: pulumi.runtime.MockResourceArgs): {
      id: string;
      state: Record<string, unknown>;
    } {
      const inputs = (args.inputs ?? {}) as Record<string, unknown>;
      if (args.type === STACK_REFERENCE) return stackReference(args, inputs);
      const id = `${args.name}-id`;
      return {
        id,
        state: { ...inputs, ...computedOutputs(args.type, args.name, inputs, region), id },
      };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      return invokeResult(args.token, (args.inputs ?? {}) as Record<string, unknown>, region);
    },
  };
}
