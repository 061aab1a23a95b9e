import { SAMPLE } from "../harness/sample";
import { beforeAll, describe, expect, it } from "vitest";
import { MOCK_ACCOUNT_ID } from "../../src/engine/mocks";
import type { RegisteredResource } from "../../src/engine/mock-run";
import { environmentBoundaryPolicy } from "../../src/aws/boundary";
import {
  DEFAULT_MIGRATION_TIMEOUT_MINUTES,
  ECS_STRATEGIES,
  environments,
  attributesFor,
  expectedValue,
  mustEqualAttributes,
  observe,
  readStackConfigFile,
  sameValue,
  type StackName,
} from "../../src/model";
import {
  awsResources,
  isSecret,
  json,
  ofType,
  one,
  runStack,
  stackFile,
  unsecret,
  type ProgramRun,
} from "./harness";

const T = {
  provider: "pulumi:providers:aws",
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  nat: "aws:ec2/natGateway:NatGateway",
  eip: "aws:ec2/eip:Eip",
  routeTable: "aws:ec2/routeTable:RouteTable",
  flowLog: "aws:ec2/flowLog:FlowLog",
  defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
  sg: "aws:ec2/securityGroup:SecurityGroup",
  rds: "aws:rds/instance:Instance",
  rdsParams: "aws:rds/parameterGroup:ParameterGroup",
  redis: "aws:elasticache/replicationGroup:ReplicationGroup",
  secret: "aws:secretsmanager/secret:Secret",
  secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
  cluster: "aws:ecs/cluster:Cluster",
  task: "aws:ecs/taskDefinition:TaskDefinition",
  ecsService: "aws:ecs/service:Service",
  alb: "aws:lb/loadBalancer:LoadBalancer",
  tg: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
  rule: "aws:lb/listenerRule:ListenerRule",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  sampling: "aws:xray/samplingRule:SamplingRule",
  kms: "aws:kms/key:Key",
  role: "aws:iam/role:Role",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  parameter: "aws:ssm/parameter:Parameter",
} as const;

/** Components this issue declares, and the `component` tag their children carry. */
const COMPONENT_TAG: Readonly<Record<string, string>> = {
  "envstack:aws:Network": "network",
  "envstack:aws:Database": "database",
  "envstack:aws:Cache": "cache",
  "envstack:aws:Services": "service",
  "envstack:aws:AppService": "service",
  "envstack:aws:Observability": "observability",
  "envstack:aws:Access": "access",
  "envstack:aws:FeatureFlags": "flags",
};

/** AWS types this program declares that take no tags. */
const UNTAGGABLE = new Set([
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:secretsmanager/secretVersion:SecretVersion",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:cloudwatch/dashboard:Dashboard",
  "aws:kms/alias:Alias",
]);

const DIGEST_B = `123456789012.dkr.ecr.${SAMPLE.region}.amazonaws.com/${SAMPLE.repository}@sha256:${"b".repeat(64)}`;

function stackValue(stack: StackName, key: string): Record<string, unknown> {
  return readStackConfigFile(stackFile(stack))[key] as Record<string, unknown>;
}

/** The stack file's services with a different deployment block for the api. */
/** The committed services with the api's deployment replaced, without its migrations (tested apart). */
function withDeployment(stack: StackName, deployment: Record<string, unknown>): unknown {
  return withApi(stack, { deployment, migrations: undefined });
}

/** The committed services with the api's keys changed (an undefined value removes the key). */
function withApi(stack: StackName, keys: Record<string, unknown>): Record<string, object> {
  const services = stackValue(stack, "envstack:services") as Record<string, object>;
  const api: Record<string, unknown> = { ...services["api"], ...keys };
  for (const [k, v] of Object.entries(keys)) if (v === undefined) delete api[k];
  return { ...services, api };
}

const boundaryArn = (stack: StackName) =>
  `arn:aws:iam::${MOCK_ACCOUNT_ID}:policy/ci/${SAMPLE.app}-${stack}-boundary`;

const runs = {} as Record<StackName, ProgramRun> & Record<"dev" | "stage" | "prod", ProgramRun>;
beforeAll(async () => {
  for (const stack of environments().names) runs[stack]! = await runStack(stack);
});

/** Resources declared under one of this issue's components (other AWS resources are not ours). */
function ours(run: ProgramRun): RegisteredResource[] {
  const components = new Map(
    run.resources.filter((r) => r.type in COMPONENT_TAG).map((r) => [r.urn, r.type]),
  );
  return awsResources(run).filter((r) => components.has(r.parent));
}

function componentOf(run: ProgramRun, r: RegisteredResource): string | undefined {
  const parent = run.resources.find((p) => p.urn === r.parent);
  return parent ? COMPONENT_TAG[parent.type] : undefined;
}

/** The one alarm of a key (of a service's, for the per-service alarms). */
function alarm(run: ProgramRun, key: string, service?: string): RegisteredResource {
  const found = ofType(run, T.alarm).filter(
    (a) =>
      (a.inputs["tags"] as Record<string, string>)["alarm"] === key &&
      (a.inputs["tags"] as Record<string, string>)["service"] === service,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The colour weights of the listener's default action, or of a service's listener rule. */
function weights(run: ProgramRun, rule?: string): Record<string, number> {
  const actions = (
    rule === undefined
      ? one(run, T.listener, "service-https").inputs["defaultActions"]
      : one(run, T.rule, rule).inputs["actions"]
  ) as {
    type: string;
    forward: { targetGroups: { arn: string; weight: number }[] };
  }[];
  expect(actions).toHaveLength(1);
  expect(actions[0]!.type).toBe("forward");
  return Object.fromEntries(
    actions[0]!.forward.targetGroups.map((g) => [
      /service-[a-z0-9-]+-tg-(blue|green)/.exec(g.arn)![1],
      g.weight,
    ]),
  );
}

/** The default service's health path (the app's health URL's path). */
function defaultHealthPath(run: ProgramRun): string {
  const web = Object.values(run.spec.services).find((s) => s.routing?.default === true);
  return web!.port!.healthCheckPath;
}

function containers(task: RegisteredResource): { name: string; image: string }[] {
  return json(task.inputs["containerDefinitions"]);
}

describe.each(environments().names)("every stack (%s)", (stack) => {
  it("declares the components once each (a service per service), under the stack's AWS provider", () => {
    const run = runs[stack]!;
    for (const type of Object.keys(COMPONENT_TAG))
      expect([type, ofType(run, type).length]).toEqual([
        type,
        type === "envstack:aws:AppService" ? 2 : 1,
      ]);
    expect(ofType(run, "envstack:aws:AppService").map((r) => r.name)).toEqual([
      "service-api",
      "service-worker",
    ]);
    const providers = ofType(run, T.provider);
    expect(providers).toHaveLength(1);
    const providerRef = `${providers[0]!.urn}::${providers[0]!.urn.split("::").pop()}-id`;
    const custom = ours(run).filter((r) => r.custom);
    expect(custom.length).toBeGreaterThan(50);
    for (const r of custom) expect([r.name, r.provider]).toEqual([r.name, providerRef]);
  });

  it("tags every taggable resource with its component and leaves env/app/managed-by to the provider", () => {
    const run = runs[stack]!;
    const defaults = JSON.parse(String(ofType(run, T.provider)[0]!.inputs["defaultTags"])) as {
      tags: Record<string, string>;
    };
    expect(defaults.tags).toEqual({ env: stack, app: `${SAMPLE.app}`, "managed-by": "pulumi" });
    for (const r of ours(run).filter((x) => x.custom)) {
      if (UNTAGGABLE.has(r.type)) continue;
      const tags = r.inputs["tags"] as Record<string, string> | undefined;
      expect([r.type, r.name, tags?.["component"]]).toEqual([r.type, r.name, componentOf(run, r)]);
      expect(Object.keys(tags ?? {})).not.toContain("env");
      expect(Object.keys(tags ?? {})).not.toContain("managed-by");
    }
  });

  it("encrypts and retains every log group under /<stack>/<app>/", () => {
    const run = runs[stack]!;
    const groups = ofType(run, T.logGroup).filter((g) =>
      String(g.inputs["name"]).startsWith(`/${stack}/${SAMPLE.app}/`),
    );
    expect(groups.map((g) => g.inputs["name"]).sort()).toEqual([
      `/${stack}/${SAMPLE.app}/cache`,
      `/${stack}/${SAMPLE.app}/network`,
      // The sample's api shifts traffic in every stack: the rollout hook logs here.
      `/${stack}/${SAMPLE.app}/rollout-hook`,
      `/${stack}/${SAMPLE.app}/service-api`,
      `/${stack}/${SAMPLE.app}/service-worker`,
    ]);
    for (const g of ofType(run, T.logGroup)) {
      expect(g.inputs["retentionInDays"]).toBe(run.spec.observability.logRetentionDays);
      expect(g.inputs["kmsKeyId"]).toBe(
        `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/observability-key`,
      );
    }
  });

  it("sends VPC flow logs of all traffic to the network log group", () => {
    const run = runs[stack]!;
    const flow = one(run, T.flowLog, "network-flow-log");
    expect(flow.inputs).toMatchObject({
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: `arn:aws:logs:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:log-group:/${stack}/${SAMPLE.app}/network`,
      vpcId: "network-vpc-id",
      iamRoleArn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/${SAMPLE.app}-${stack}-flow-logs`,
    });
    const role = one(run, T.role, "network-flow-logs").inputs;
    expect(role).toMatchObject({
      name: `${SAMPLE.app}-${stack}-flow-logs`,
      permissionsBoundary: boundaryArn(stack),
    });
    // Only this account's flow logs assume it (the confused-deputy conditions AWS recommends).
    expect(JSON.parse(role["assumeRolePolicy"] as string)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "vpc-flow-logs.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": MOCK_ACCOUNT_ID },
            ArnLike: {
              "aws:SourceArn": `arn:aws:ec2:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:vpc-flow-log/*`,
            },
          },
        },
      ],
    });
    expect(one(run, T.defaultSg, "network-default-sg").inputs).toMatchObject({
      ingress: [],
      egress: [],
    });
  });

  it("carves public, app and data subnets per zone, with explicit zones and CIDRs", () => {
    const run = runs[stack]!;
    const zones = run.spec.network.availabilityZones;
    const subnets = ofType(run, T.subnet);
    expect(subnets).toHaveLength(zones * 3);
    const base = run.spec.network.cidr.split(".").slice(0, 2).join(".");
    for (let i = 0; i < zones; i++) {
      const zone = `${SAMPLE.region}${"abc"[i]}`;
      // A /16 splits into /21 blocks: tier t, zone z at block t * 8 + z.
      for (const [tier, block] of [
        ["public", 0],
        ["app", 8],
        ["data", 16],
      ] as const) {
        const s = one(run, T.subnet, `network-${tier}-${i + 1}`);
        expect(s.inputs).toMatchObject({
          availabilityZone: zone,
          cidrBlock: `${base}.${(block + i) * 8}.0/21`,
          mapPublicIpOnLaunch: false,
        });
      }
    }
    // The data tier has no route out of the VPC.
    expect(one(run, T.routeTable, "network-data-rt").inputs["routes"]).toBeUndefined();
  });

  it("stores the master password in Secrets Manager through RDS, never in config or state", () => {
    const run = runs[stack]!;
    const primary = one(run, T.rds, "database-primary");
    expect(primary.inputs).toMatchObject({
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/database-key`,
      storageEncrypted: true,
      kmsKeyId: `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/database-key`,
      publiclyAccessible: false,
      performanceInsightsEnabled: true,
      engine: "postgres",
      engineVersion: "16.13",
      autoMinorVersionUpgrade: true,
      identifier: `${SAMPLE.app}-${stack}-db`,
    });
    expect(primary.inputs["password"]).toBeUndefined();
    expect(primary.inputs["replicateSourceDb"]).toBeUndefined();
    const params = one(run, T.rdsParams, "database-params");
    expect(params.inputs["family"]).toBe("postgres16");
    expect(params.inputs["parameters"]).toContainEqual({ name: "rds.force_ssl", value: "1" });
  });

  it("admits the database port from the service and the access CIDRs only", () => {
    const run = runs[stack]!;
    const sg = one(run, T.sg, "database-sg");
    expect(sg.inputs["ingress"]).toEqual([
      {
        description: "The service",
        protocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        securityGroups: ["service-api-sg-id", "service-worker-sg-id"],
      },
      {
        description: "Configured access networks",
        protocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrBlocks: ["10.0.0.0/8"],
      },
    ]);
    expect(sg.inputs["egress"]).toEqual([]);
    expect(one(run, T.sg, "cache-sg").inputs["ingress"]).toEqual([
      {
        description: "The service",
        protocol: "tcp",
        fromPort: 6379,
        toPort: 6379,
        securityGroups: ["service-api-sg-id", "service-worker-sg-id"],
      },
    ]);
  });

  it("opens the load balancer on 443 and 80 only, the api to the load balancer only, the worker to nothing", () => {
    const run = runs[stack]!;
    const alb = one(run, T.sg, "service-alb-sg");
    expect(
      (alb.inputs["ingress"] as { fromPort: number; toPort: number; cidrBlocks: string[] }[]).map(
        (r) => [r.fromPort, r.toPort, r.cidrBlocks],
      ),
    ).toEqual([
      [443, 443, ["0.0.0.0/0"]],
      [80, 80, ["0.0.0.0/0"]],
    ]);
    expect(
      (alb.inputs["egress"] as { fromPort: number; cidrBlocks: string[] }[]).map((r) => [
        r.fromPort,
        r.cidrBlocks,
      ]),
    ).toEqual([[8080, [run.spec.network.cidr]]]);
    expect(one(run, T.sg, "service-worker-sg").inputs["ingress"]).toEqual([]);
    const tasks = one(run, T.sg, "service-api-sg");
    expect(tasks.inputs["ingress"]).toEqual([
      {
        description: "The load balancer",
        protocol: "tcp",
        fromPort: 8080,
        toPort: 8080,
        securityGroups: ["service-alb-sg-id"],
      },
    ]);
  });

  it("serves HTTPS with the configured certificate and redirects HTTP", () => {
    const run = runs[stack]!;
    expect(one(run, T.listener, "service-https").inputs).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      certificateArn: run.spec.loadBalancer!.certificateArn,
    });
    expect(one(run, T.listener, "service-http").inputs).toMatchObject({
      port: 80,
      protocol: "HTTP",
      defaultActions: [
        { type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } },
      ],
    });
    // The api is the default service: two target groups; its production rule catches every
    // path behind all other rules, its test rule matches the test header ahead of them, and ECS
    // owns both rules' actions. The worker has no target group and no rule.
    expect(ofType(run, T.tg).map((t) => t.name)).toEqual([
      "service-api-tg-blue",
      "service-api-tg-green",
    ]);
    for (const colour of ["blue", "green"]) {
      expect(one(run, T.tg, `service-api-tg-${colour}`).inputs).toMatchObject({
        name: `${SAMPLE.app}-${stack}-api-${colour}`,
        port: 8080,
        protocol: "HTTP",
        targetType: "ip",
        healthCheck: { path: "/health" },
      });
    }
    expect(one(run, T.listener, "service-https").inputs["defaultActions"]).toEqual([
      {
        type: "forward",
        targetGroupArn: expect.stringMatching(/:targetgroup\/service-api-tg-blue\//),
      },
    ]);
    const production = one(run, T.rule, "service-api-rule");
    const test = one(run, T.rule, "service-api-test-rule");
    expect(production.inputs).toMatchObject({
      priority: 50000,
      conditions: [{ pathPattern: { values: ["/*"] } }],
      tags: { "listener-rule": "production" },
    });
    expect(test.inputs).toMatchObject({
      priority: 1,
      conditions: [{ httpHeader: { httpHeaderName: "x-envstack-test-traffic", values: ["api"] } }],
      tags: { "listener-rule": "test" },
    });
    for (const rule of [production, test]) {
      expect(weights(run, rule.name)).toEqual({ blue: 100, green: 0 });
      expect(rule.ignoreChanges).toEqual(["actions"]);
    }
    expect(ofType(run, T.rule)).toHaveLength(2);
  });

  it.each(["api", "worker"])(
    "runs %s's pinned image on one ECS service that rolls out as its stack file says",
    (service) => {
      const run = runs[stack]!;
      const { image, desiredCount, cpu, memoryMb, port, deployment } = run.spec.services[service]!;
      const svc = one(run, T.ecsService, `service-${service}-svc`);
      expect(
        ofType(run, T.ecsService).filter(
          (s) => (s.inputs["tags"] as Record<string, string>)["service"] === service,
        ),
      ).toHaveLength(1);
      expect(svc.inputs).toMatchObject({
        name: `${SAMPLE.app}-${stack}-${service}`,
        desiredCount,
        launchType: "FARGATE",
        // `pulumi up` waits for a stable service, and a failing deployment rolls back.
        waitForSteadyState: true,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        tags: { component: "service", service, "deployment-strategy": deployment.strategy },
      });
      expect((svc.inputs["deploymentConfiguration"] as Record<string, unknown>)["strategy"]).toBe(
        ECS_STRATEGIES[deployment.strategy],
      );
      const https = one(run, T.listener, "service-https");
      if (port === undefined) {
        // A worker: no load balancer, no alarm-driven rollback, replaced in place.
        expect(deployment.strategy).toBe("rolling");
        expect([svc.inputs["loadBalancers"], svc.inputs["alarms"]]).toEqual([[], undefined]);
        expect(svc.dependencies.includes(https.urn)).toBe(false);
      } else {
        // A web service waits for its rules, hence the listener, and hands ECS both target
        // groups, both rules and the infrastructure role; its target groups' alarms roll back.
        const rules = ["service-api-rule", "service-api-test-rule"].map((n) => one(run, T.rule, n));
        expect(rules.every((r) => svc.dependencies.includes(r.urn))).toBe(true);
        expect(svc.inputs["loadBalancers"]).toEqual([
          {
            targetGroupArn: expect.stringMatching(/:targetgroup\/service-api-tg-blue\//),
            containerName: service,
            containerPort: port.containerPort,
            advancedConfiguration: {
              alternateTargetGroupArn: expect.stringMatching(
                /:targetgroup\/service-api-tg-green\//,
              ),
              productionListenerRule: expect.stringMatching(/service-api-rule/),
              testListenerRule: expect.stringMatching(/service-api-test-rule/),
              roleArn: expect.stringMatching(
                new RegExp(`role/${SAMPLE.app}-${stack}-ecs-infrastructure$`),
              ),
            },
          },
        ]);
        const rollback = ["blue", "green"].flatMap((c) => [
          `${SAMPLE.app}-${stack}-colour-latency-p99-api-${c}`,
          `${SAMPLE.app}-${stack}-colour-error-rate-api-${c}`,
        ]);
        expect(svc.inputs["alarms"]).toEqual({
          alarmNames: rollback,
          enable: true,
          rollback: true,
        });
        // Every alarm the service names exists, and watches one of its target groups.
        const declared = new Map(ofType(run, T.alarm).map((a) => [a.inputs["name"], a]));
        for (const name of rollback) {
          const watched = JSON.stringify(declared.get(name)?.inputs ?? null);
          expect(watched).toMatch(/targetgroup\/service-api-tg-(blue|green)\//);
        }
      }
      const task = one(run, T.task, `service-${service}-task`);
      expect(task.inputs).toMatchObject({
        family: `${SAMPLE.app}-${stack}-${service}`,
        cpu: String(cpu),
        memory: String(memoryMb),
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        tags: { component: "service", service },
      });
      // The container is named after the service, and only a web service maps a port.
      const app = containers(task)[0] as unknown as {
        name: string;
        image: string;
        portMappings: unknown[];
        logConfiguration: { options: Record<string, string> };
      };
      expect([app.name, app.image, app.portMappings]).toEqual([
        service,
        image,
        port === undefined ? [] : [{ containerPort: port.containerPort, protocol: "tcp" }],
      ]);
      expect(app.logConfiguration.options["awslogs-group"]).toBe(
        `/${stack}/${SAMPLE.app}/service-${service}`,
      );
    },
  );

  it("runs every service on the one cluster", () => {
    const run = runs[stack]!;
    const cluster = `arn:aws:ecs:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:cluster/${SAMPLE.app}-${stack}-cluster`;
    expect(new Set(ofType(run, T.ecsService).map((s) => s.inputs["cluster"]))).toEqual(
      new Set([cluster]),
    );
    expect(one(run, T.cluster, "service-cluster").inputs["settings"]).toEqual([
      { name: "containerInsights", value: "enabled" },
    ]);
  });

  it("keeps the cache auth token in a KMS-encrypted scoped secret and passes it as a secret", () => {
    const run = runs[stack]!;
    expect(one(run, T.secret, "cache-auth-token").inputs).toMatchObject({
      name: `/${stack}/${SAMPLE.app}/cache/auth-token`,
      kmsKeyId: `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/cache-key`,
    });
    const version = one(run, T.secretVersion, "cache-auth-token");
    expect(isSecret(version.inputs["secretString"])).toBe(true);
    expect(version.ignoreChanges).toEqual(["secretString"]);
    const redis = one(run, T.redis, "cache-redis");
    expect(isSecret(redis.inputs["authToken"])).toBe(true);
    expect(unsecret(redis.inputs["authToken"])).toBe(unsecret(version.inputs["secretString"]));
    expect(String(unsecret(redis.inputs["authToken"]))).toHaveLength(64);
    expect(redis.inputs).toMatchObject({
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      kmsKeyId: `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/cache-key`,
      clusterMode: "enabled",
      engineVersion: run.spec.cache.engineVersion,
      nodeType: run.spec.cache.nodeType,
      numNodeGroups: run.spec.cache.shards,
      replicasPerNodeGroup: run.spec.cache.replicasPerShard,
    });
  });

  it("alarms to a KMS-encrypted topic with the configured email and thresholds", () => {
    const run = runs[stack]!;
    const o = run.spec.observability;
    expect(one(run, T.topic, "observability-alarms").inputs).toMatchObject({
      name: `${SAMPLE.app}-${stack}-alarms`,
      kmsMasterKeyId: `arn:aws:kms:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:key/observability-key`,
    });
    expect(one(run, T.subscription, "observability-alarms-email").inputs).toMatchObject({
      protocol: "email",
      endpoint: o.alarmEmail,
    });
    const latency = alarm(run, "latency-p99");
    expect(latency.inputs).toMatchObject({
      namespace: "AWS/ApplicationELB",
      metricName: "TargetResponseTime",
      extendedStatistic: "p99",
      threshold: o.latencyP99Ms / 1000,
      comparisonOperator: "GreaterThanThreshold",
      alarmActions: [
        `arn:aws:sns:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:${SAMPLE.app}-${stack}-alarms`,
      ],
      dimensions: { LoadBalancer: "app/service-alb/50dc6c495c0c9188" },
    });
    const errors = alarm(run, "error-rate");
    expect(errors.inputs["threshold"]).toBe(o.errorRatePercent);
    const queries = errors.inputs["metricQueries"] as {
      id: string;
      expression?: string;
      returnData?: boolean;
      metric?: { metricName: string };
    }[];
    expect(queries.filter((q) => q.returnData)).toEqual([
      expect.objectContaining({
        id: "rate",
        expression: "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
      }),
    ]);
    expect(queries.map((q) => q.metric?.metricName).filter(Boolean)).toEqual([
      "HTTPCode_Target_5XX_Count",
      "HTTPCode_ELB_5XX_Count",
      "RequestCount",
    ]);
    for (const service of ["api", "worker"]) {
      for (const key of ["service-cpu", "service-memory"]) {
        expect(alarm(run, key, service).inputs).toMatchObject({
          name: `${SAMPLE.app}-${stack}-${key}-${service}`,
          dimensions: {
            ClusterName: `${SAMPLE.app}-${stack}-cluster`,
            ServiceName: `${SAMPLE.app}-${stack}-${service}`,
          },
        });
      }
    }
    // Unhealthy hosts: the web service's two target groups; the worker has none to watch.
    const unhealthy = alarm(run, "unhealthy-hosts", "api");
    expect(
      (unhealthy.inputs["metricQueries"] as { metric?: { dimensions: Record<string, string> } }[])
        .map((q) => q.metric?.dimensions["TargetGroup"])
        .filter(Boolean),
    ).toEqual([
      expect.stringMatching(/^targetgroup\/service-api-tg-blue\//),
      expect.stringMatching(/^targetgroup\/service-api-tg-green\//),
    ]);
    // Each colour of the web service is judged on its own target group's traffic.
    for (const colour of ["blue", "green"]) {
      const tg = new RegExp(`^targetgroup/service-api-tg-${colour}/`);
      const colourLatency = one(run, T.alarm, `observability-colour-latency-p99-api-${colour}`);
      expect(colourLatency.inputs).toMatchObject({
        name: `${SAMPLE.app}-${stack}-colour-latency-p99-api-${colour}`,
        metricName: "TargetResponseTime",
        extendedStatistic: "p99",
        threshold: o.latencyP99Ms / 1000,
        dimensions: {
          LoadBalancer: "app/service-alb/50dc6c495c0c9188",
          TargetGroup: expect.stringMatching(tg) as unknown,
        },
        tags: { alarm: "colour-latency-p99", service: "api", colour },
      });
      const colourErrors = one(run, T.alarm, `observability-colour-error-rate-api-${colour}`);
      expect(colourErrors.inputs["threshold"]).toBe(o.errorRatePercent);
      const rateQueries = colourErrors.inputs["metricQueries"] as {
        metric?: { metricName: string; dimensions: Record<string, string> };
      }[];
      expect(
        rateQueries.flatMap((q) =>
          q.metric ? [[q.metric.metricName, q.metric.dimensions["TargetGroup"]]] : [],
        ),
      ).toEqual([
        ["HTTPCode_Target_5XX_Count", expect.stringMatching(tg)],
        ["RequestCount", expect.stringMatching(tg)],
      ]);
    }
    expect(alarm(run, "db-cpu").inputs["dimensions"]).toEqual({
      DBInstanceIdentifier: `${SAMPLE.app}-${stack}-db`,
    });
    expect(alarm(run, "db-free-storage").inputs["threshold"]).toBe(
      Math.round(run.spec.database.storageGb * 1024 ** 3 * 0.1),
    );
    const shards = run.spec.cache.shards;
    const tags = ofType(run, T.alarm).map(
      (a) => (a.inputs["tags"] as Record<string, string>)["alarm"],
    );
    expect(tags.sort()).toEqual(
      [
        "db-connections",
        "db-cpu",
        "db-free-storage",
        "error-rate",
        "latency-p99",
        "service-cpu",
        "service-cpu",
        "service-memory",
        "service-memory",
        "unhealthy-hosts",
        "colour-latency-p99",
        "colour-latency-p99",
        "colour-error-rate",
        "colour-error-rate",
        ...Array<string>(shards).fill("cache-evictions"),
        ...Array<string>(shards).fill("cache-memory"),
      ].sort(),
    );
    const memory = one(run, T.alarm, "observability-cache-memory-0001");
    const ids = (
      memory.inputs["metricQueries"] as { metric?: { dimensions: Record<string, string> } }[]
    )
      .map((q) => q.metric?.dimensions["CacheClusterId"])
      .filter(Boolean);
    expect(ids).toEqual(
      Array.from(
        { length: run.spec.cache.replicasPerShard + 1 },
        (_, n) => `${SAMPLE.app}-${stack}-cache-0001-00${n + 1}`,
      ),
    );
    expect(ofType(run, T.dashboard)).toHaveLength(1);
    const body = json<{ widgets: unknown[] }>(
      one(run, T.dashboard, "observability-dashboard").inputs["dashboardBody"],
    );
    expect(body.widgets).toHaveLength(5);
  });

  it("publishes feature flags as String parameters under /<stack>/<app>/flags/", () => {
    const run = runs[stack]!;
    const flags = ofType(run, T.parameter).filter(
      (p) => (p.inputs["tags"] as Record<string, string>)["component"] === "flags",
    );
    expect(
      flags.map((p) => [p.name, p.inputs["name"], p.inputs["type"], unsecret(p.inputs["value"])]),
    ).toEqual([
      ["flags-tariffEngineV2", `/${stack}/${SAMPLE.app}/flags/tariffEngineV2`, "String", "true"],
    ]);
  });

  it("gives each team role an MFA-guarded role, and no policy grants any action on everything", () => {
    const run = runs[stack]!;
    const roles = ofType(run, T.role).filter((r) => r.name.startsWith("access-"));
    const levels = run.spec.access;
    const expected = Object.entries(levels).filter(([, level]) => level !== "none");
    expect(roles).toHaveLength(expected.length);
    for (const role of roles) {
      const trust = json<{ Statement: { Principal: { AWS: string }; Condition: unknown }[] }>(
        role.inputs["assumeRolePolicy"],
      );
      const team = String((role.inputs["tags"] as Record<string, unknown>)["team-role"]);
      expect(trust.Statement).toEqual([
        {
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${MOCK_ACCOUNT_ID}:root` },
          Action: "sts:AssumeRole",
          Condition: {
            Bool: { "aws:MultiFactorAuthPresent": "true" },
            NumericLessThan: { "aws:MultiFactorAuthAge": "3600" },
            StringEquals: { "aws:PrincipalTag/team-role": team },
          },
        },
      ]);
      expect(Object.keys(levels)).toContain(team);
      expect(role.inputs["maxSessionDuration"]).toBe(3600);
      expect(role.inputs["permissionsBoundary"]).toBe(boundaryArn(stack));
    }
    for (const [team, level] of expected) {
      const id = team.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      expect(one(run, T.role, `access-${id}`).inputs["name"]).toBe(`${SAMPLE.app}-${stack}-${id}`);
      expect(one(run, T.rolePolicy, `access-${id}`).inputs["name"]).toBe(level);
    }
    for (const policy of ours(run).filter((r) => r.type === T.rolePolicy)) {
      const doc = json<{
        Statement: { Effect: string; Action: string | string[]; Resource: string | string[] }[];
      }>(policy.inputs["policy"]);
      for (const s of doc.Statement) {
        const actions = ([] as string[]).concat(s.Action);
        const resources = ([] as string[]).concat(s.Resource);
        expect([policy.name, actions.includes("*") && resources.includes("*")]).toEqual([
          policy.name,
          false,
        ]);
        expect(
          actions.filter(
            (a) => a.startsWith("iam:") && a !== "iam:PassRole" && !/^iam:(Get|List)\*$/.test(a),
          ),
        ).toEqual([]);
      }
    }
  });

  it("bounds every role it creates with the environment's boundary, except the CI deploy roles", () => {
    const run = runs[stack]!;
    const roles = ofType(run, T.role);
    const ci = roles.filter((r) => r.inputs["path"] === "/ci/");
    const bounded = roles.filter((r) => r.inputs["path"] !== "/ci/");
    expect(bounded.map((r) => r.name).sort()).toEqual(
      [
        "network-flow-logs",
        "service-execution",
        "service-task",
        // The rollout: ECS's load balancer role, the hook's own role, the role ECS invokes it with.
        "service-rollout-ecs-infrastructure",
        "service-rollout-rollout-hook",
        "service-rollout-rollout-hook-invoke",
        ...Object.entries(run.spec.access)
          .filter(([, level]) => level !== "none")
          .map(([team]) => `access-${team.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`),
      ].sort(),
    );
    for (const role of bounded)
      expect([role.name, role.inputs["permissionsBoundary"]]).toEqual([
        role.name,
        boundaryArn(stack),
      ]);
    // The environment's deploy role only: no stack declares a pull-request preview role.
    expect(ci.map((r) => r.inputs["name"])).toEqual([`${SAMPLE.app}-${stack}-deploy`]);
    for (const role of ci) expect(role.inputs["permissionsBoundary"]).toBeUndefined();
  });

  it("declares the boundary at /ci/ under the deploy role, and exports both ARNs", () => {
    const run = runs[stack]!;
    const deploy = one(run, "envstack:aws:DeployRole", "deploy");
    const boundary = one(run, "aws:iam/policy:Policy", "deploy-boundary");
    expect(boundary.parent).toBe(deploy.urn);
    expect(boundary.inputs).toMatchObject({
      name: `${SAMPLE.app}-${stack}-boundary`,
      path: "/ci/",
    });
    expect(json(boundary.inputs["policy"])).toEqual(
      environmentBoundaryPolicy({
        stack,
        app: `${SAMPLE.app}`,
        partition: "aws",
        region: `${SAMPLE.region}`,
        accountId: MOCK_ACCOUNT_ID,
      }),
    );
    expect(run.outputs["boundaryPolicyArn"]).toBe(boundaryArn(stack));
    expect(run.outputs["deployRoleArn"]).toBe(
      `arn:aws:iam::${MOCK_ACCOUNT_ID}:role/ci/${SAMPLE.app}-${stack}-deploy`,
    );
  });

  it("shows every observed parity attribute on the resources as the config implies it", () => {
    const run = runs[stack]!;
    const declared = run.resources.map((r) => ({
      type: r.type,
      name: r.name,
      props: unsecret(r.inputs) as Record<string, unknown>,
    }));
    const observed = attributesFor(mustEqualAttributes(), run.spec).filter(
      (a) => a.observed !== undefined,
    );
    expect(observed.length).toBeGreaterThanOrEqual(30);
    for (const attribute of observed) {
      const expected = expectedValue(attribute, run.spec);
      for (const seen of observe(attribute.observed!, declared)) {
        const value = seen.known ? seen.value : seen.reason;
        expect([attribute.key, seen.on?.name, sameValue(value, expected), value]).toEqual([
          attribute.key,
          seen.on?.name,
          true,
          value,
        ]);
      }
    }
  });

  it("exports what an operator needs", () => {
    const run = runs[stack]!;
    const dns = `service-alb-1234567890.${SAMPLE.region}.elb.amazonaws.com`;
    const replicas = run.spec.database.readReplicas;
    expect(run.outputs).toMatchObject({
      loadBalancerDnsName: dns,
      appUrl: `https://${dns}`,
      databaseEndpoint: `database-primary.c9akciq32.${SAMPLE.region}.rds.amazonaws.com:5432`,
      databaseReaderEndpoints: Array.from(
        { length: replicas },
        (_, i) => `database-replica-${i + 1}.c9akciq32.${SAMPLE.region}.rds.amazonaws.com:5432`,
      ),
      cacheEndpoint: "clustercfg.cache-redis.abc123.euw1.cache.amazonaws.com",
      logGroups: {
        network: `/${stack}/${SAMPLE.app}/network`,
        "service-api": `/${stack}/${SAMPLE.app}/service-api`,
        "service-worker": `/${stack}/${SAMPLE.app}/service-worker`,
        "rollout-hook": `/${stack}/${SAMPLE.app}/rollout-hook`,
        cache: `/${stack}/${SAMPLE.app}/cache`,
      },
      ecsServices: {
        cluster: `${SAMPLE.app}-${stack}-cluster`,
        taskDefinitions: Object.fromEntries(
          ofType(run, T.ecsService).map((svc) => {
            const task = ofType(run, T.task).find(
              (t) => t.name === svc.name.replace(/-svc$/, "-task"),
            )!;
            return [
              svc.inputs["name"],
              expect.stringContaining(`:task-definition/${String(task.inputs["family"])}:`),
            ];
          }),
        ),
        // The default service's health path, and every traffic-shifting service's rollback
        // alarms: what verify-deploy checks after the update.
        healthUrl: `https://${dns}${defaultHealthPath(run)}`,
        rollbackAlarms: Object.fromEntries(
          ofType(run, T.ecsService)
            .filter((svc) => svc.inputs["alarms"] !== undefined)
            .map((svc) => [
              svc.inputs["name"],
              (svc.inputs["alarms"] as { alarmNames: string[] }).alarmNames,
            ]),
        ),
      },
      alarmTopicArn: `arn:aws:sns:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:${SAMPLE.app}-${stack}-alarms`,
    });
    const rollbackAlarms = (run.outputs["ecsServices"] as { rollbackAlarms: object })
      .rollbackAlarms;
    expect(Object.keys(rollbackAlarms)).toEqual(
      Object.entries(run.spec.services)
        .filter(([, s]) => s.deployment.strategy !== "rolling")
        .map(([name]) => `${SAMPLE.app}-${stack}-${name}`),
    );
    expect(Object.keys(run.outputs["roleArns"] as object).sort()).toEqual(
      Object.entries(run.spec.access)
        .filter(([, l]) => l !== "none")
        .map(([t]) => t)
        .sort(),
    );
  });
});

describe("dev: smaller, and the production branches not taken", () => {
  it("runs two zones behind a single NAT gateway", () => {
    const run = runs.dev;
    expect(ofType(run, T.nat)).toHaveLength(1);
    expect(ofType(run, T.eip)).toHaveLength(1);
    expect(new Set(ofType(run, T.subnet).map((s) => s.inputs["availabilityZone"]))).toEqual(
      new Set([`${SAMPLE.region}a`, `${SAMPLE.region}b`]),
    );
    // Both app route tables send egress through the one NAT.
    for (const i of [1, 2]) {
      expect(one(run, T.routeTable, `network-app-rt-${i}`).inputs["routes"]).toEqual([
        expect.objectContaining({ cidrBlock: "0.0.0.0/0", natGatewayId: "network-nat-1-id" }),
      ]);
    }
  });

  it("declares one database instance: no read replica, no Multi-AZ, no final snapshot, no protect", () => {
    const run = runs.dev;
    const instances = ofType(run, T.rds);
    expect(instances.map((i) => i.name)).toEqual(["database-primary"]);
    const primary = instances[0]!;
    expect(primary.inputs).toMatchObject({
      multiAz: false,
      instanceClass: "db.t4g.medium",
      allocatedStorage: 20,
      backupRetentionPeriod: 1,
      deletionProtection: false,
      skipFinalSnapshot: true,
    });
    expect(primary.inputs["finalSnapshotIdentifier"]).toBeUndefined();
    expect(primary.protect).toBe(false);
  });

  it("runs Redis without replicas: automatic failover on (cluster mode requires it), no Multi-AZ", () => {
    expect(one(runs.dev, T.redis, "cache-redis").inputs).toMatchObject({
      clusterMode: "enabled",
      parameterGroupName: "default.redis7.cluster.on",
      numNodeGroups: 1,
      replicasPerNodeGroup: 0,
      automaticFailoverEnabled: true,
      multiAzEnabled: false,
      snapshotRetentionLimit: 0,
    });
  });

  it("has no X-Ray sampling rule, sidecar or trace permissions with tracing off", () => {
    const run = runs.dev;
    expect(ofType(run, T.sampling)).toEqual([]);
    for (const service of ["api", "worker"])
      expect(containers(one(run, T.task, `service-${service}-task`)).map((c) => c.name)).toEqual([
        service,
      ]);
    const policy = json<{ Statement: { Sid: string }[] }>(
      one(run, T.rolePolicy, "service-task").inputs["policy"],
    );
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ReadOwnParameters"]);
  });

  it("sizes tasks and alarms from the dev config", () => {
    const run = runs.dev;
    expect(one(run, T.task, "service-api-task").inputs).toMatchObject({
      cpu: "256",
      memory: "512",
    });
    expect(one(run, T.ecsService, "service-api-svc").inputs["desiredCount"]).toBe(1);
    expect(alarm(run, "latency-p99").inputs["threshold"]).toBe(0.5);
    expect(alarm(run, "error-rate").inputs["threshold"]).toBe(5);
    // db.t4g.medium: 4 GiB -> max_connections 450 -> alarm at 80%.
    expect(alarm(run, "db-connections").inputs["threshold"]).toBe(360);
    const groups = ofType(run, T.logGroup);
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.map((g) => g.inputs["retentionInDays"])).toEqual(groups.map(() => 30));
    expect(one(run, T.alb, "service-alb").inputs["enableDeletionProtection"]).toBe(false);
  });

  it("gives developers deploy in dev", () => {
    expect(one(runs.dev, T.rolePolicy, "access-developer").inputs["name"]).toBe("deploy");
  });
});

describe.each(["stage", "prod"] as const)("%s: production-sized", (stack) => {
  it("runs three zones with one NAT gateway each", () => {
    const run = runs[stack]!;
    expect(ofType(run, T.nat).map((n) => n.name)).toEqual([
      "network-nat-1",
      "network-nat-2",
      "network-nat-3",
    ]);
    for (const i of [1, 2, 3]) {
      expect(one(run, T.routeTable, `network-app-rt-${i}`).inputs["routes"]).toEqual([
        expect.objectContaining({ natGatewayId: `network-nat-${i}-id` }),
      ]);
    }
  });

  it("runs a Multi-AZ, deletion-protected primary with a final snapshot, and one encrypted read replica", () => {
    const run = runs[stack]!;
    const primary = one(run, T.rds, "database-primary");
    expect(primary.inputs).toMatchObject({
      multiAz: true,
      instanceClass: "db.r6g.large",
      allocatedStorage: 100,
      backupRetentionPeriod: 14,
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${SAMPLE.app}-${stack}-db-final`,
    });
    const replicas = ofType(run, T.rds).filter((i) => i.inputs["replicateSourceDb"] !== undefined);
    expect(
      replicas.map((r) => [
        r.name,
        r.inputs["replicateSourceDb"],
        r.inputs["storageEncrypted"],
        r.inputs["publiclyAccessible"],
      ]),
    ).toEqual([["database-replica-1", `${SAMPLE.app}-${stack}-db`, true, false]]);
    expect(replicas[0]!.inputs["autoMinorVersionUpgrade"]).toBe(true);
    expect(primary.protect).toBe(stack === "prod");
    expect(replicas[0]!.protect).toBe(false);
  });

  it("runs Redis with two shards of one replica each, failing over across zones", () => {
    expect(one(runs[stack]!, T.redis, "cache-redis").inputs).toMatchObject({
      numNodeGroups: 2,
      replicasPerNodeGroup: 1,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      snapshotRetentionLimit: 7,
    });
  });

  it("traces: X-Ray daemon beside the app, a sampling rule, and trace permissions", () => {
    const run = runs[stack]!;
    expect(ofType(run, T.sampling).map((r) => [r.name, r.inputs["ruleName"]])).toEqual([
      ["observability-sampling", `${SAMPLE.app}-${stack}-sampling`],
    ]);
    for (const service of ["api", "worker"]) {
      const defs = containers(one(run, T.task, `service-${service}-task`));
      expect(defs.map((c) => [c.name, c.image])).toEqual([
        [service, run.spec.services[service]!.image],
        ["xray-daemon", run.spec.observability.xrayDaemonImage],
      ]);
    }
    const policy = json<{ Statement: { Sid: string }[] }>(
      one(run, T.rolePolicy, "service-task").inputs["policy"],
    );
    expect(policy.Statement.map((s) => s.Sid)).toEqual(["ReadOwnParameters", "WriteTraces"]);
  });

  it("sizes tasks and alarms from the production config", () => {
    const run = runs[stack]!;
    expect(one(run, T.task, "service-api-task").inputs).toMatchObject({
      cpu: "1024",
      memory: "2048",
    });
    expect(one(run, T.ecsService, "service-api-svc").inputs["desiredCount"]).toBe(3);
    expect(one(run, T.task, "service-worker-task").inputs).toMatchObject({
      cpu: "512",
      memory: "1024",
    });
    expect(one(run, T.ecsService, "service-worker-svc").inputs["desiredCount"]).toBe(2);
    expect(alarm(run, "latency-p99").inputs["threshold"]).toBe(0.1);
    expect(alarm(run, "error-rate").inputs["threshold"]).toBe(1);
    // db.r6g.large: 16 GiB -> max_connections 1802 -> alarm at 80%.
    expect(alarm(run, "db-connections").inputs["threshold"]).toBe(1441);
    expect(alarm(run, "db-free-storage").inputs["threshold"]).toBe(10737418240);
    expect(one(run, T.alb, "service-alb").inputs["enableDeletionProtection"]).toBe(true);
  });

  it("keeps developers read-only", () => {
    expect(one(runs[stack]!, T.rolePolicy, "access-developer").inputs["name"]).toBe("read-only");
  });
});

describe("rollouts", () => {
  type DeploymentConfiguration = {
    strategy: string;
    bakeTimeInMinutes?: string;
    canaryConfiguration?: unknown;
    linearConfiguration?: unknown;
    lifecycleHooks?: {
      hookTargetArn: string;
      roleArn: string;
      targetType: string;
      lifecycleStages: string[];
      hookDetails: string;
    }[];
  };
  const configurationOf = (run: ProgramRun, service = "api") =>
    one(run, T.ecsService, `service-${service}-svc`).inputs[
      "deploymentConfiguration"
    ] as DeploymentConfiguration;
  const hookFunction = (stack: string) =>
    expect.stringMatching(new RegExp(`function:${SAMPLE.app}-${stack}-rollout-hook$`)) as unknown;
  const invokeRole = (stack: string) =>
    expect.stringMatching(
      new RegExp(`role/${SAMPLE.app}-${stack}-rollout-hook-invoke$`),
    ) as unknown;

  it("blue-green: all traffic at once after the smoke test, then the bake; no canary or linear steps", async () => {
    const run = await runStack("prod", {
      "envstack:services": withDeployment("prod", { strategy: "blue-green", bakeMinutes: 20 }),
    });
    const config = configurationOf(run);
    expect(config).toEqual({
      strategy: "BLUE_GREEN",
      bakeTimeInMinutes: "20",
      lifecycleHooks: [
        {
          hookTargetArn: hookFunction("prod"),
          roleArn: invokeRole("prod"),
          targetType: "AWS_LAMBDA",
          lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT"],
          hookDetails: expect.any(String) as unknown,
        },
        {
          hookTargetArn: hookFunction("prod"),
          roleArn: invokeRole("prod"),
          targetType: "AWS_LAMBDA",
          lifecycleStages: ["POST_PRODUCTION_TRAFFIC_SHIFT"],
          hookDetails: expect.any(String) as unknown,
        },
      ],
    });
    // The smoke test asks the api's health path through the load balancer, as test traffic.
    expect(JSON.parse(config.lifecycleHooks![0]!.hookDetails)).toEqual({
      check: "smoke",
      service: "api",
      url: expect.stringMatching(/^https:\/\/[^/]+\/health$/) as unknown,
    });
    // After the shift: the app's health URL on production traffic, and the service's rollback
    // alarms, the same ones ECS watches.
    const svc = one(run, T.ecsService, "service-api-svc");
    const alarms = (svc.inputs["alarms"] as { alarmNames: string[] }).alarmNames;
    expect(alarms).toHaveLength(4);
    expect(JSON.parse(config.lifecycleHooks![1]!.hookDetails)).toEqual({
      check: "verify",
      service: "api",
      url: expect.stringMatching(/^https:\/\/[^/]+\/health$/) as unknown,
      alarms,
    });
  });

  it("canary: the canary share and its bake, no linear steps", async () => {
    const run = await runStack("stage", {
      "envstack:services": withDeployment("stage", {
        strategy: "canary",
        canaryPercent: 5,
        canaryBakeMinutes: 15,
        bakeMinutes: 10,
      }),
    });
    const config = configurationOf(run);
    expect(config).toMatchObject({
      strategy: "CANARY",
      bakeTimeInMinutes: "10",
      canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: "15" },
    });
    expect(config.linearConfiguration).toBeUndefined();
    expect(config.lifecycleHooks!.map((h) => h.lifecycleStages)).toEqual([
      ["POST_TEST_TRAFFIC_SHIFT"],
      ["POST_PRODUCTION_TRAFFIC_SHIFT"],
    ]);
  });

  it("linear with holds: 5% steps, the hold hook at every production shift step with the ladder", async () => {
    const run = await runStack("prod", {
      "envstack:services": withDeployment("prod", {
        strategy: "linear",
        stepPercent: 5,
        stepBakeMinutes: 0,
        holds: [5, 25, 50],
        holdMinutes: 10,
        bakeMinutes: 15,
      }),
    });
    const config = configurationOf(run);
    expect(config).toMatchObject({
      strategy: "LINEAR",
      bakeTimeInMinutes: "15",
      linearConfiguration: { stepPercent: 5, stepBakeTimeInMinutes: "0" },
    });
    expect(config.canaryConfiguration).toBeUndefined();
    const [smoke, hold, verify] = config.lifecycleHooks!;
    expect([smoke, hold, verify].map((h) => h!.lifecycleStages)).toEqual([
      ["POST_TEST_TRAFFIC_SHIFT"],
      ["PRODUCTION_TRAFFIC_SHIFT"],
      ["POST_PRODUCTION_TRAFFIC_SHIFT"],
    ]);
    expect(hold).toMatchObject({
      hookTargetArn: hookFunction("prod"),
      roleArn: invokeRole("prod"),
    });
    expect(JSON.parse(hold!.hookDetails)).toEqual({
      check: "hold",
      service: "api",
      holds: [5, 25, 50],
      holdMinutes: 10,
    });
  });

  it("linear without holds has no hold hook", async () => {
    const run = await runStack("prod", {
      "envstack:services": withDeployment("prod", {
        strategy: "linear",
        stepPercent: 25,
        stepBakeMinutes: 5,
        bakeMinutes: 15,
      }),
    });
    expect(configurationOf(run).lifecycleHooks!.map((h) => h.lifecycleStages)).toEqual([
      ["POST_TEST_TRAFFIC_SHIFT"],
      ["POST_PRODUCTION_TRAFFIC_SHIFT"],
    ]);
  });

  it("rolling web service: one target group, a managed rule, no test rule, no hook and no rollout roles", async () => {
    const run = await runStack("dev", {
      "envstack:services": withDeployment("dev", { strategy: "rolling" }),
    });
    expect(configurationOf(run)).toEqual({ strategy: "ROLLING" });
    const svc = one(run, T.ecsService, "service-api-svc");
    expect(svc.inputs["alarms"]).toBeUndefined();
    expect(svc.inputs["loadBalancers"]).toEqual([
      {
        targetGroupArn: expect.stringMatching(/:targetgroup\/service-api-tg-blue\//),
        containerName: "api",
        containerPort: 8080,
      },
    ]);
    expect(ofType(run, T.tg).map((t) => t.name)).toEqual(["service-api-tg-blue"]);
    expect(ofType(run, T.rule).map((r) => [r.name, r.ignoreChanges])).toEqual([
      ["service-api-rule", []],
    ]);
    // No service shifts traffic: no rollout component, hook, its log group or per-colour alarms.
    expect(run.resources.filter((r) => r.type === "envstack:aws:Rollout")).toEqual([]);
    expect(ofType(run, "aws:lambda/function:Function")).toEqual([]);
    expect(
      ofType(run, T.logGroup)
        .map((g) => g.inputs["name"])
        .filter((n) => String(n).endsWith("rollout-hook")),
    ).toEqual([]);
    expect(
      ofType(run, T.alarm).filter(
        (a) => (a.inputs["tags"] as Record<string, string>)["colour"] === "green",
      ),
    ).toEqual([]);
  });

  it("the rollout hook runs on Node.js 22 with its own log group, and ECS may invoke nothing else", () => {
    const run = runs.prod;
    const fn = one(run, "aws:lambda/function:Function", "service-rollout-hook");
    expect(fn.inputs).toMatchObject({
      name: `${SAMPLE.app}-prod-rollout-hook`,
      runtime: "nodejs22.x",
      handler: "index.handler",
      loggingConfig: { logGroup: `/prod/${SAMPLE.app}/rollout-hook` },
    });
    const invoke = JSON.parse(
      String(one(run, T.rolePolicy, "service-rollout-rollout-hook-invoke").inputs["policy"]),
    ) as { Statement: { Action: string; Resource: string }[] };
    expect(invoke.Statement).toEqual([
      expect.objectContaining({
        Action: "lambda:InvokeFunction",
        Resource: expect.stringMatching(/function:.*-prod-rollout-hook$/) as unknown,
      }),
    ]);
    // The hook itself reads only its environment's service deployments and alarms.
    const own = JSON.parse(
      String(one(run, T.rolePolicy, "service-rollout-rollout-hook").inputs["policy"]),
    ) as { Statement: { Sid: string; Action: string; Resource: string }[] };
    // (the migration statements follow when a service migrates; see "migrations" below).
    expect(own.Statement.slice(0, 3).map((s) => [s.Sid, s.Action, s.Resource])).toEqual([
      [
        "WriteOwnLogs",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        `arn:aws:logs:*:${MOCK_ACCOUNT_ID}:log-group:/prod/${SAMPLE.app}/rollout-hook:*`,
      ],
      [
        "ReadServiceDeployments",
        "ecs:ListServiceDeployments",
        `arn:aws:ecs:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:service/${SAMPLE.app}-prod-cluster/*`,
      ],
      [
        "ReadEnvironmentAlarms",
        "cloudwatch:DescribeAlarms",
        `arn:aws:cloudwatch:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:alarm:${SAMPLE.app}-prod-*`,
      ],
    ]);
  });
});

describe("migrations", () => {
  type Hook = {
    lifecycleStages: string[];
    hookDetails: string;
    hookTargetArn: string;
    roleArn: string;
  };
  const hooksOf = (run: ProgramRun, service: string) =>
    (
      one(run, T.ecsService, `service-${service}-svc`).inputs["deploymentConfiguration"] as {
        lifecycleHooks?: Hook[];
      }
    ).lifecycleHooks ?? [];
  const stagesOf = (run: ProgramRun, service: string) =>
    hooksOf(run, service).map((h) => h.lifecycleStages);
  type Statement = {
    Sid: string;
    Action: string | string[];
    Resource: unknown;
    Condition?: unknown;
  };
  const hookRoleStatements = (run: ProgramRun) =>
    (
      JSON.parse(
        String(one(run, T.rolePolicy, "service-rollout-rollout-hook").inputs["policy"]),
      ) as {
        Statement: Statement[];
      }
    ).Statement;
  const committed = (stack: StackName) =>
    (
      stackValue(stack, "envstack:services") as Record<
        string,
        { migrations?: Record<string, unknown> }
      >
    )["api"]!.migrations!;

  it.each(environments().names)(
    "%s: the api runs its migration at PRE_SCALE_UP, last in its hooks, with the committed command and version",
    (stack) => {
      const run = runs[stack]!;
      const hooks = hooksOf(run, "api");
      expect(hooks.map((h) => h.lifecycleStages).at(-1)).toEqual(["PRE_SCALE_UP"]);
      expect(hooks.filter((h) => h.lifecycleStages.includes("PRE_SCALE_UP"))).toHaveLength(1);
      const migrate = hooks.at(-1)!;
      expect(migrate).toMatchObject({
        hookTargetArn: hooks[0]!.hookTargetArn,
        roleArn: hooks[0]!.roleArn,
        targetType: "AWS_LAMBDA",
      });
      expect(JSON.parse(migrate.hookDetails)).toEqual({
        check: "migrate",
        service: "api",
        command: committed(stack)["command"],
        version: committed(stack)["version"],
        timeoutMinutes: DEFAULT_MIGRATION_TIMEOUT_MINUTES,
        container: "api",
      });
      // The worker rolls in place: ECS runs no lifecycle hook for it, so it migrates nothing.
      expect(stagesOf(run, "worker")).toEqual([]);
    },
  );

  it("passes the timeout given, and declares no migration hook without migrations", async () => {
    const timed = await runStack("stage", {
      "envstack:services": withApi("stage", {
        migrations: { ...committed("stage"), timeoutMinutes: 90 },
      }),
    });
    expect(JSON.parse(hooksOf(timed, "api").at(-1)!.hookDetails)).toMatchObject({
      timeoutMinutes: 90,
    });
    const none = await runStack("stage", {
      "envstack:services": withApi("stage", { migrations: undefined }),
    });
    expect(stagesOf(none, "api")).not.toContainEqual(["PRE_SCALE_UP"]);
    expect(stagesOf(none, "api")).toEqual(stagesOf(runs.stage, "api").slice(0, -1));
    // Nor any permission to run tasks on the hook's role: its log group, and what the hold and
    // the post-shift verification read.
    expect(hookRoleStatements(none).map((st) => st.Sid)).toEqual([
      "WriteOwnLogs",
      "ReadServiceDeployments",
      "ReadEnvironmentAlarms",
    ]);
  });

  it.each(environments().names)(
    "%s: the hook's role may describe the cluster's revisions, run the migrating task definitions there, watch and stop its tasks, and pass the task roles to ECS tasks only",
    (stack) => {
      const run = runs[stack]!;
      const cluster = `${SAMPLE.app}-${stack}-cluster`;
      const clusterArn = `arn:aws:ecs:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:cluster/${cluster}`;
      const role = (name: string) =>
        expect.stringMatching(new RegExp(`:role/${SAMPLE.app}-${stack}-${name}$`)) as unknown;
      const ecs = (resource: string) =>
        `arn:aws:ecs:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:${resource}`;
      expect(hookRoleStatements(run)).toEqual([
        expect.objectContaining({ Sid: "WriteOwnLogs" }),
        expect.objectContaining({ Sid: "ReadServiceDeployments" }),
        expect.objectContaining({ Sid: "ReadEnvironmentAlarms" }),
        {
          Sid: "DescribeTheRevisionBeingDeployed",
          Effect: "Allow",
          Action: "ecs:DescribeServiceRevisions",
          Resource: ecs(`service-revision/${cluster}/*`),
        },
        {
          Sid: "RunMigrationTasks",
          Effect: "Allow",
          Action: "ecs:RunTask",
          Resource: [ecs(`task-definition/${SAMPLE.app}-${stack}-api:*`)],
          Condition: { ArnEquals: { "ecs:cluster": clusterArn } },
        },
        {
          Sid: "WatchAndStopMigrationTasks",
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:StopTask"],
          Resource: ecs(`task/${cluster}/*`),
          Condition: { ArnEquals: { "ecs:cluster": clusterArn } },
        },
        {
          Sid: "PassTheTaskRoles",
          Effect: "Allow",
          Action: "iam:PassRole",
          Resource: [role("task"), role("task-execution")],
          Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
        },
      ]);
    },
  );
});

describe("config variations", () => {
  it("skips team roles at level none", async () => {
    const run = await runStack("dev", {
      "envstack:access": {
        developer: "none",
        qa: "none",
        devops: "admin",
        releaseManager: "deploy",
        productManager: "read-only",
      },
    });
    expect(
      ofType(run, T.role)
        .filter((r) => r.name.startsWith("access-"))
        .map((r) => r.name),
    ).toEqual(["access-devops", "access-release-manager", "access-product-manager"]);
  });

  it("keeps load balancer and target group names within 32 characters for the longest app name", async () => {
    const run = await runStack("stage", { "envstack:app": "a-very-long-application1" });
    const names = [
      ...ofType(run, T.alb).map((r) => r.inputs["name"]),
      ...ofType(run, T.tg).map((r) => r.inputs["name"]),
      ...ofType(run, T.sampling).map((r) => r.inputs["ruleName"]),
    ] as string[];
    // The app part is shortened; the stack and the suffix never are.
    expect(names).toEqual([
      "a-very-long-applicatio-stage-alb",
      "a-very-long-appli-stage-api-blue",
      "a-very-long-appl-stage-api-green",
      "a-very-long-appli-stage-sampling",
    ]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(32);
  });

  it("declares no database access rule for CIDRs when none are configured", async () => {
    const run = await runStack("dev", {
      "envstack:database": { ...stackValue("dev", "envstack:database"), accessCidrs: [] },
    });
    expect(
      (one(run, T.sg, "database-sg").inputs["ingress"] as { description: string }[]).map(
        (r) => r.description,
      ),
    ).toEqual(["The service"]);
  });
});

describe("services", () => {
  const services = (stack: StackName) =>
    structuredClone(stackValue(stack, "envstack:services")) as Record<
      string,
      Record<string, unknown>
    >;
  const web = (port: number, routing: unknown) => ({
    image: DIGEST_B,
    port: { containerPort: port, healthCheckPath: "/ready" },
    routing,
  });
  type Rule = {
    priority: number;
    conditions: unknown[];
    actions: { forward: { targetGroups: { arn: string; weight: number }[] } }[];
  };

  it("gives each web service its production rule with its conditions, and a test rule ahead of all", async () => {
    const run = await runStack("stage", {
      "envstack:services": {
        ...services("stage"),
        admin: web(9000, { priority: 110, hosts: ["admin.example.com"] }),
        reports: web(8080, {
          priority: 120,
          paths: ["/reports/*", "/exports/*"],
          hosts: ["*.example.com"],
        }),
      },
    });
    const rules = ofType(run, T.rule);
    const byName = (name: string) =>
      one(run, T.rule, name).inputs as unknown as Rule & { listenerArn: string; tags: object };
    const https = one(run, T.listener, "service-https");
    const listenerArn = `arn:aws:lb:${SAMPLE.region}:${MOCK_ACCOUNT_ID}:service-https`;
    const admin = byName("service-admin-rule");
    expect([admin.listenerArn, admin.priority, admin.conditions, admin.tags]).toEqual([
      listenerArn,
      110,
      [{ hostHeader: { values: ["admin.example.com"] } }],
      { component: "service", service: "admin", "listener-rule": "production" },
    ]);
    expect([
      byName("service-reports-rule").priority,
      byName("service-reports-rule").conditions,
    ]).toEqual([
      120,
      [
        { pathPattern: { values: ["/reports/*", "/exports/*"] } },
        { hostHeader: { values: ["*.example.com"] } },
      ],
    ]);
    // The default service's rule comes last; the test rules first, one priority each, by name.
    expect(byName("service-api-rule").priority).toBe(50000);
    expect(
      ["admin", "api", "reports"].map((s) => [
        byName(`service-${s}-test-rule`).priority,
        byName(`service-${s}-test-rule`).conditions,
      ]),
    ).toEqual(
      ["admin", "api", "reports"].map((s, i) => [
        i + 1,
        [{ httpHeader: { httpHeaderName: "x-envstack-test-traffic", values: [s] } }],
      ]),
    );
    expect(rules).toHaveLength(6);
    expect(rules.every((r) => r.dependencies.includes(https.urn))).toBe(true);
    expect(weights(run, "service-admin-rule")).toEqual({ blue: 100, green: 0 });
    // The default action forwards to the api's production target group (never reached: its rule
    // takes every path); each rule forwards to its own service's target groups.
    expect(https.inputs["defaultActions"]).toEqual([
      { type: "forward", targetGroupArn: expect.stringContaining("/service-api-tg-blue/") },
    ]);
    expect(admin.actions[0]!.forward.targetGroups.map((g) => g.arn)).toEqual([
      expect.stringContaining("/service-admin-tg-blue/"),
      expect.stringContaining("/service-admin-tg-green/"),
    ]);
    // A service's ECS service waits for the rules that attach its target groups.
    const rule = one(run, T.rule, "service-admin-rule");
    expect(one(run, T.ecsService, "service-admin-svc").dependencies).toContain(rule.urn);
    expect(one(run, T.tg, "service-admin-tg-blue").inputs).toMatchObject({
      name: `${SAMPLE.app}-stage-admin-blue`,
      port: 9000,
      healthCheck: { path: "/ready" },
    });
    // The load balancer reaches each distinct port once; each service admits it on its own.
    expect(
      (one(run, T.sg, "service-alb-sg").inputs["egress"] as { fromPort: number }[]).map(
        (r) => r.fromPort,
      ),
    ).toEqual([8080, 9000]);
    expect(
      (one(run, T.sg, "service-admin-sg").inputs["ingress"] as { fromPort: number }[]).map(
        (r) => r.fromPort,
      ),
    ).toEqual([9000]);
    expect(ofType(run, T.alb)).toHaveLength(1);
    expect(
      ofType(run, T.alarm)
        .filter((a) => (a.inputs["tags"] as Record<string, string>)["alarm"] === "unhealthy-hosts")
        .map((a) => (a.inputs["tags"] as Record<string, string>)["service"]),
    ).toEqual(["api", "admin", "reports"]);
    // ECS owns the rules' weights: deployers may stop (roll back) a rollout, never edit a rule.
    const deploy = json<{ Statement: { Sid: string; Action: string[]; Resource: unknown }[] }>(
      one(run, T.rolePolicy, "access-release-manager").inputs["policy"],
    );
    expect(
      deploy.Statement.flatMap((x) => x.Action).filter((a) =>
        a.startsWith("elasticloadbalancing:Modify"),
      ),
    ).toEqual([]);
    expect(deploy.Statement.find((x) => x.Sid === "StopRollouts")).toMatchObject({
      Action: expect.arrayContaining(["ecs:StopServiceDeployment"]) as unknown,
      Resource: [
        expect.stringMatching(/:service\/.*-stage-cluster\/\*$/),
        expect.stringMatching(/:service-deployment\/.*-stage-cluster\/\*$/),
      ],
    });
  });

  it("declares no load balancer, listener, target group or rule when every service is a worker", async () => {
    const workers = services("prod");
    delete workers["api"];
    const run = await runStack("prod", {
      "envstack:services": workers,
      "envstack:loadBalancer": undefined,
    });
    for (const type of [T.alb, T.listener, T.rule, T.tg])
      expect([type, ofType(run, type)]).toEqual([type, []]);
    expect(
      ofType(run, T.sg)
        .map((g) => g.name)
        .filter((n) => n.startsWith("service-")),
    ).toEqual(["service-worker-sg"]);
    const keys = ofType(run, T.alarm).map(
      (a) => (a.inputs["tags"] as Record<string, string>)["alarm"],
    );
    for (const key of [
      "latency-p99",
      "error-rate",
      "unhealthy-hosts",
      "colour-latency-p99",
      "colour-error-rate",
    ])
      expect(keys).not.toContain(key);
    expect(run.outputs["appUrl"]).toBeUndefined();
    expect(run.outputs["loadBalancerDnsName"]).toBeUndefined();
    const deploy = json<{ Statement: { Sid: string }[] }>(
      one(run, T.rolePolicy, "access-release-manager").inputs["policy"],
    );
    expect(deploy.Statement.map((x) => x.Sid)).toContain("StopRollouts");
    const body = json<{ widgets: unknown[] }>(
      one(run, T.dashboard, "observability-dashboard").inputs["dashboardBody"],
    );
    expect(body.widgets).toHaveLength(3);
  });

  it("keeps a 12-character service's target group names within 32 characters for the longest app name", async () => {
    const run = await runStack("stage", {
      "envstack:app": "a-very-long-application1",
      "envstack:services": {
        ...services("stage"),
        "reporting-v2": web(8080, { priority: 105, paths: ["/reports/*"] }),
      },
    });
    const names = ofType(run, T.tg).map((r) => r.inputs["name"] as string);
    // The app part gives way (to at least 6 characters here); the service's name never does.
    expect(names.filter((n) => n.includes("reporting-v2"))).toEqual([
      "a-very-l-stage-reporting-v2-blue",
      "a-very-stage-reporting-v2-green",
    ]);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(32);
  });
});
