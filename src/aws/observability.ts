import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { COLOURS } from "./app-service";
import { componentTags, physicalName, scoped, type Naming } from "./naming";

/** What the alarms and the dashboard watch of one service. */
export interface ServiceAlarmTargets {
  readonly name: string;
  /** The ECS service. */
  readonly serviceName: string;
  /** ARN suffixes of the service's target groups, in COLOURS order; none for a worker. */
  readonly targetGroupArnSuffixes: readonly string[];
}

/** What the alarms and the dashboard watch; known only once the other components exist. */
export interface AlarmTargets {
  /** The load balancer's ARN suffix (`app/<name>/<id>`); undefined when every service is a worker. */
  readonly loadBalancerArnSuffix: string | undefined;
  /** Each service, in the order of ObservabilityArgs.services. */
  readonly services: readonly ServiceAlarmTargets[];
  readonly clusterName: string;
  /** The primary database instance's identifier. */
  readonly databaseInstanceId: string;
  /** The cache's node ids, grouped per shard. */
  readonly cacheNodeIdsByShard: readonly (readonly string[])[];
}

/** Alarm keys: every alarm carries the tag `alarm=<key>`. */
export const ALARM_KEYS = [
  "latency-p99",
  "error-rate",
  "unhealthy-hosts",
  "colour-latency-p99",
  "colour-error-rate",
  "service-cpu",
  "service-memory",
  "db-cpu",
  "db-free-storage",
  "db-connections",
  "cache-memory",
  "cache-evictions",
] as const;
export type AlarmKey = (typeof ALARM_KEYS)[number];

export interface ObservabilityArgs {
  /** Stack and app: log group scope, physical names. No default. */
  readonly naming: Naming;
  /** Components that get a log group `/<stack>/<app>/<component>`. No default. */
  readonly logGroupComponents: readonly string[];
  /** Retention of every log group, days. No default. */
  readonly logRetentionDays: number;
  /** Where alarm notifications go (an email subscription, confirmed by its owner). No default. */
  readonly alarmEmail: string;
  /** p99 target response time above which the latency alarm fires, milliseconds. No default. */
  readonly latencyP99Ms: number;
  /** Share of 5xx responses above which the error alarm fires, percent. No default. */
  readonly errorRatePercent: number;
  /** Whether X-Ray sampling is configured (tracing on). No default. */
  readonly tracing: boolean;
  /** Allocated database storage, GiB; the free-storage alarm fires below 10% of it. No default. */
  readonly databaseStorageGb: number;
  /** The database's connection limit; the connections alarm fires at 80% of it. No default. */
  readonly databaseMaxConnections: number;
  /**
   * The services, whether each is behind the load balancer and how many target groups it has
   * (two when it shifts traffic): each gets its own CPU and memory alarms, a web service its
   * unhealthy-hosts alarm and latency and error-rate alarms per target group; the load
   * balancer's latency and error-rate alarms exist when one is. No default.
   */
  readonly services: readonly {
    readonly name: string;
    readonly web: boolean;
    readonly targetGroups: number;
  }[];
  /** Cache shards; each gets its own memory and evictions alarms. No default. */
  readonly cacheShards: number;
  /** Resources the alarms watch. No default. */
  readonly targets: pulumi.Input<AlarmTargets>;
}

/** The per-target-group alarms of a service: latency and error rate, per colour. */
const TARGET_GROUP_ALARMS = ["colour-latency-p99", "colour-error-rate"] as const;

/**
 * The alarms that roll a service's deployment back: the latency and 5xx-rate alarms of each of
 * its target groups, named `<app>-<stack>-<key>-<service>-<colour>`. Whichever target group
 * carries the new revision, its alarms judge it on its own traffic.
 */
export function rollbackAlarmNames(naming: Naming, service: string): string[] {
  return COLOURS.flatMap((colour) =>
    TARGET_GROUP_ALARMS.map((key) => physicalName(naming, `${key}-${service}-${colour}`, 255)),
  );
}

/** Percentage thresholds for utilisation alarms; tuned once here rather than per stack. */
const UTILISATION_PERCENT = 80;
const EVICTIONS_PER_5_MIN = 100;

/**
 * Log groups, the alarm topic, the alarms and a dashboard for one environment, plus X-Ray
 * sampling when tracing is on. Logs and the topic are encrypted with the component's own KMS key.
 */
export class Observability extends pulumi.ComponentResource {
  /** Log group names by component. */
  public readonly logGroupNames: Record<string, pulumi.Output<string>>;
  /** Log group ARNs by component. */
  public readonly logGroupArns: Record<string, pulumi.Output<string>>;
  public readonly alarmTopicArn: pulumi.Output<string>;
  public readonly keyArn: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("envstack:aws:Observability", name, {}, opts);
    const tags = componentTags("observability");
    const { naming } = args;

    const identity = aws.getCallerIdentityOutput({}, { parent: this });
    const region = aws.getRegionOutput({}, { parent: this });
    const partition = aws.getPartitionOutput({}, { parent: this });
    const logScopeArn = pulumi.interpolate`arn:${partition.partition}:logs:${region.region}:${identity.accountId}:log-group:${scoped(naming)}*`;

    // CloudWatch Logs and CloudWatch (publishing alarms to the encrypted topic) must be let
    // into the key explicitly; the account keeps administration so the key is never orphaned.
    const key = new aws.kms.Key(
      `${name}-key`,
      {
        description: `Encrypts ${scoped(naming)} log groups and the alarm topic`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "AccountAdministers",
              Effect: "Allow",
              Principal: {
                AWS: pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:root`,
              },
              Action: "kms:*",
              Resource: "*",
            },
            {
              Sid: "LogsEncryptScopedGroups",
              Effect: "Allow",
              Principal: { Service: pulumi.interpolate`logs.${region.region}.amazonaws.com` },
              Action: [
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
              ],
              Resource: "*",
              Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logScopeArn } },
            },
            {
              Sid: "CloudWatchPublishesAlarms",
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
              Resource: "*",
            },
          ],
        }),
        tags,
      },
      { parent: this },
    );
    new aws.kms.Alias(
      `${name}-key`,
      { name: `alias/${physicalName(naming, "observability")}`, targetKeyId: key.keyId },
      { parent: this },
    );

    this.logGroupNames = {};
    this.logGroupArns = {};
    for (const component of args.logGroupComponents) {
      const group = new aws.cloudwatch.LogGroup(
        `${name}-${component}`,
        {
          name: scoped(naming, component),
          retentionInDays: args.logRetentionDays,
          kmsKeyId: key.arn,
          tags,
        },
        { parent: this },
      );
      this.logGroupNames[component] = group.name;
      this.logGroupArns[component] = group.arn;
    }

    const topic = new aws.sns.Topic(
      `${name}-alarms`,
      { name: physicalName(naming, "alarms", 256), kmsMasterKeyId: key.arn, tags },
      { parent: this },
    );
    new aws.sns.TopicSubscription(
      `${name}-alarms-email`,
      { topic: topic.arn, protocol: "email", endpoint: args.alarmEmail },
      { parent: this },
    );

    const targets = pulumi.output(args.targets);
    const alarm = (
      key: AlarmKey,
      description: string,
      spec: Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "tags" | "alarmActions" | "okActions">,
      suffix = "",
      extraTags: Readonly<Record<string, string>> = {},
    ) =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${key}${suffix}`,
        {
          name: physicalName(naming, `${key}${suffix}`, 255),
          alarmDescription: description,
          treatMissingData: "notBreaching",
          alarmActions: [topic.arn],
          okActions: [topic.arn],
          ...spec,
          tags: componentTags("observability", { alarm: key, ...extraTags }),
        },
        { parent: this },
      );
    const lbDimension = targets.apply((t) => ({ LoadBalancer: t.loadBalancerArnSuffix ?? "" }));
    const dbDimension = targets.apply((t) => ({ DBInstanceIdentifier: t.databaseInstanceId }));
    const web = args.services.filter((s) => s.web);

    if (web.length > 0) {
      alarm("latency-p99", `p99 response time above ${args.latencyP99Ms} ms`, {
        namespace: "AWS/ApplicationELB",
        metricName: "TargetResponseTime",
        dimensions: lbDimension,
        extendedStatistic: "p99",
        period: 60,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: args.latencyP99Ms / 1000,
      });

      const lbMetric = (id: string, metricName: string) => ({
        id,
        metric: {
          namespace: "AWS/ApplicationELB",
          metricName,
          dimensions: lbDimension,
          period: 60,
          stat: "Sum",
        },
      });
      alarm("error-rate", `5xx responses above ${args.errorRatePercent}% of requests`, {
        metricQueries: [
          {
            id: "rate",
            label: "5xx rate (%)",
            expression:
              "IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)",
            returnData: true,
          },
          lbMetric("target5xx", "HTTPCode_Target_5XX_Count"),
          lbMetric("elb5xx", "HTTPCode_ELB_5XX_Count"),
          lbMetric("requests", "RequestCount"),
        ],
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        comparisonOperator: "GreaterThanThreshold",
        threshold: args.errorRatePercent,
      });
    }

    const utilisation = (
      key: AlarmKey,
      namespace: string,
      metricName: string,
      dimensions: pulumi.Input<Record<string, pulumi.Input<string>>>,
      suffix = "",
      extraTags: Readonly<Record<string, string>> = {},
    ) =>
      alarm(
        key,
        `${metricName} above ${UTILISATION_PERCENT}%${suffix ? ` (service ${suffix.slice(1)})` : ""}`,
        {
          namespace,
          metricName,
          dimensions,
          statistic: "Average",
          period: 300,
          evaluationPeriods: 3,
          comparisonOperator: "GreaterThanThreshold",
          threshold: UTILISATION_PERCENT,
        },
        suffix,
        extraTags,
      );

    args.services.forEach((service, i) => {
      const of = (t: AlarmTargets) => t.services[i]!;
      const tagged = { service: service.name };
      const suffix = `-${service.name}`;
      const dimensions = targets.apply((t) => ({
        ClusterName: t.clusterName,
        ServiceName: of(t).serviceName,
      }));
      utilisation("service-cpu", "AWS/ECS", "CPUUtilization", dimensions, suffix, tagged);
      utilisation("service-memory", "AWS/ECS", "MemoryUtilization", dimensions, suffix, tagged);
      if (!service.web) return;
      // Latency and 5xx rate of each colour on its own traffic: the metrics with the
      // TargetGroup dimension count only the requests that target group received
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html#load-balancer-metric-dimensions-alb),
      // so a colour carrying a new release is judged apart from the one carrying the old. A
      // colour without traffic has no data points and stays OK (treatMissingData notBreaching).
      COLOURS.slice(0, service.targetGroups).forEach((colour, k) => {
        const tg = targets.apply((t) => ({
          LoadBalancer: t.loadBalancerArnSuffix ?? "",
          TargetGroup: of(t).targetGroupArnSuffixes[k] ?? "",
        }));
        const colourTags = { ...tagged, colour };
        alarm(
          "colour-latency-p99",
          `p99 response time of service ${service.name} (${colour}) above ${args.latencyP99Ms} ms`,
          {
            namespace: "AWS/ApplicationELB",
            metricName: "TargetResponseTime",
            dimensions: tg,
            extendedStatistic: "p99",
            period: 60,
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            comparisonOperator: "GreaterThanThreshold",
            threshold: args.latencyP99Ms / 1000,
          },
          `${suffix}-${colour}`,
          colourTags,
        );
        const tgMetric = (id: string, metricName: string) => ({
          id,
          metric: {
            namespace: "AWS/ApplicationELB",
            metricName,
            dimensions: tg,
            period: 60,
            stat: "Sum",
          },
        });
        // HTTPCode_ELB_5XX_Count has no TargetGroup dimension: a colour's rate counts its targets' 5xx.
        alarm(
          "colour-error-rate",
          `5xx responses of service ${service.name} (${colour}) above ${args.errorRatePercent}% of its requests`,
          {
            metricQueries: [
              {
                id: "rate",
                label: "5xx rate (%)",
                expression: "IF(requests > 0, 100 * FILL(target5xx, 0) / requests, 0)",
                returnData: true,
              },
              tgMetric("target5xx", "HTTPCode_Target_5XX_Count"),
              tgMetric("requests", "RequestCount"),
            ],
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            comparisonOperator: "GreaterThanThreshold",
            threshold: args.errorRatePercent,
          },
          `${suffix}-${colour}`,
          colourTags,
        );
      });
      // Every target group of the service: the one not serving has no targets between rollouts.
      alarm(
        "unhealthy-hosts",
        `Targets of service ${service.name} failing health checks`,
        {
          metricQueries: targets.apply((t) => [
            {
              id: "unhealthy",
              label: "Unhealthy targets",
              expression: `MAX([${of(t)
                .targetGroupArnSuffixes.map((_, k) => `tg${k}`)
                .join(", ")}])`,
              returnData: true,
            },
            ...of(t).targetGroupArnSuffixes.map((suffix, k) => ({
              id: `tg${k}`,
              metric: {
                namespace: "AWS/ApplicationELB",
                metricName: "UnHealthyHostCount",
                dimensions: { LoadBalancer: t.loadBalancerArnSuffix ?? "", TargetGroup: suffix },
                period: 60,
                stat: "Maximum",
              },
            })),
          ]),
          evaluationPeriods: 3,
          comparisonOperator: "GreaterThanThreshold",
          threshold: 0,
        },
        suffix,
        tagged,
      );
    });
    utilisation("db-cpu", "AWS/RDS", "CPUUtilization", dbDimension);

    const freeStorageBytes = Math.round(args.databaseStorageGb * 1024 ** 3 * 0.1);
    alarm("db-free-storage", "Free database storage below 10% of the allocation", {
      namespace: "AWS/RDS",
      metricName: "FreeStorageSpace",
      dimensions: dbDimension,
      statistic: "Minimum",
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: "LessThanThreshold",
      threshold: freeStorageBytes,
    });
    const connections = Math.floor((args.databaseMaxConnections * UTILISATION_PERCENT) / 100);
    alarm("db-connections", `Database connections above ${connections}`, {
      namespace: "AWS/RDS",
      metricName: "DatabaseConnections",
      dimensions: dbDimension,
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: "GreaterThanThreshold",
      threshold: connections,
    });

    // Cache metrics exist per node only; one alarm per shard takes the worst of its nodes
    // (a metric math alarm holds at most 10 metrics, a shard at most 6 nodes).
    const cacheShardAlarm = (
      key: AlarmKey,
      metricName: string,
      stat: string,
      threshold: number,
      shard: number,
    ) =>
      alarm(
        key,
        `${metricName} above ${threshold} on a node of shard ${shard + 1}`,
        {
          metricQueries: targets.apply((t) => {
            const nodes = t.cacheNodeIdsByShard[shard] ?? [];
            return [
              {
                id: "worst",
                label: `${metricName} (worst node)`,
                expression: `MAX([${nodes.map((_, i) => `n${i}`).join(", ")}])`,
                returnData: true,
              },
              ...nodes.map((node, i) => ({
                id: `n${i}`,
                metric: {
                  namespace: "AWS/ElastiCache",
                  metricName,
                  dimensions: { CacheClusterId: node },
                  period: 300,
                  stat,
                },
              })),
            ];
          }),
          evaluationPeriods: 3,
          comparisonOperator: "GreaterThanThreshold",
          threshold,
        },
        `-${String(shard + 1).padStart(4, "0")}`,
      );
    for (let shard = 0; shard < args.cacheShards; shard++) {
      cacheShardAlarm(
        "cache-memory",
        "DatabaseMemoryUsagePercentage",
        "Average",
        UTILISATION_PERCENT,
        shard,
      );
      cacheShardAlarm("cache-evictions", "Evictions", "Sum", EVICTIONS_PER_5_MIN, shard);
    }

    this.alarmTopicArn = topic.arn;
    this.keyArn = key.arn;

    const dashboard = new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: physicalName(naming, "environment", 255),
        dashboardBody: pulumi
          .all([targets, region.region])
          .apply(([t, r]) => JSON.stringify(dashboardBody(t, r, args))),
      },
      { parent: this },
    );
    this.dashboardName = dashboard.dashboardName;

    if (args.tracing) {
      new aws.xray.SamplingRule(
        `${name}-sampling`,
        {
          ruleName: physicalName(naming, "sampling", 32),
          priority: 1000,
          version: 1,
          reservoirSize: 1,
          fixedRate: 0.05,
          host: "*",
          httpMethod: "*",
          urlPath: "*",
          serviceName: naming.app,
          serviceType: "*",
          resourceArn: "*",
          tags,
        },
        { parent: this },
      );
    }

    this.registerOutputs({
      logGroupNames: this.logGroupNames,
      alarmTopicArn: this.alarmTopicArn,
      keyArn: this.keyArn,
      dashboardName: this.dashboardName,
    });
  }
}

function dashboardBody(t: AlarmTargets, region: string, args: ObservabilityArgs): unknown {
  const lb = ["LoadBalancer", t.loadBalancerArnSuffix ?? ""];
  const svc = (s: ServiceAlarmTargets) => [
    "ClusterName",
    t.clusterName,
    "ServiceName",
    s.serviceName,
  ];
  const db = ["DBInstanceIdentifier", t.databaseInstanceId];
  const nodes = t.cacheNodeIdsByShard.flat();
  const widget = (title: string, metrics: unknown[], x: number, y: number, extra = {}) => ({
    type: "metric",
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, region, metrics, period: 60, view: "timeSeries", ...extra },
  });
  const loadBalancerWidgets = () => [
    widget(
      "p99 latency (s)",
      [["AWS/ApplicationELB", "TargetResponseTime", ...lb, { stat: "p99" }]],
      0,
      0,
      {
        annotations: {
          horizontal: [{ label: "alarm", value: args.latencyP99Ms / 1000 }],
        },
      },
    ),
    widget(
      "Requests and 5xx",
      [
        ["AWS/ApplicationELB", "RequestCount", ...lb, { stat: "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", ...lb, { stat: "Sum" }],
        ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", ...lb, { stat: "Sum" }],
      ],
      12,
      0,
    ),
  ];
  const balanced = t.loadBalancerArnSuffix !== undefined;
  return {
    widgets: [
      ...(balanced ? loadBalancerWidgets() : []),
      widget(
        "Services' CPU and memory (%)",

        t.services.flatMap((s) => [
          ["AWS/ECS", "CPUUtilization", ...svc(s), { label: `${s.name} CPU` }],
          ["AWS/ECS", "MemoryUtilization", ...svc(s), { label: `${s.name} memory` }],
        ]),
        0,
        6,
      ),
      widget(
        "Database",
        [
          ["AWS/RDS", "CPUUtilization", ...db],
          ["AWS/RDS", "DatabaseConnections", ...db],
          ["AWS/RDS", "FreeStorageSpace", ...db, { yAxis: "right" }],
        ],
        12,
        6,
      ),
      widget(
        "Cache memory (%) and evictions",
        nodes.flatMap((node) => [
          ["AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "CacheClusterId", node],
          ["AWS/ElastiCache", "Evictions", "CacheClusterId", node, { yAxis: "right" }],
        ]),
        0,
        12,
      ),
    ],
  };
}
