import type * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { environments, serviceComponent, type EnvironmentSpec } from "../model";
import { Access, ecrRepositoryArn } from "./access";
import { AppConnections } from "./app-connections";
import { Cache } from "./cache";
import { Database } from "./database";
import { DeployRole } from "./deploy-role";
import { FeatureFlags } from "./feature-flags";
import { scoped, type Naming } from "./naming";
import { Network } from "./network";
import { Observability, type AlarmTargets } from "./observability";
import { AppService } from "./app-service";
import { Services, shiftsTraffic } from "./services";
import { postgresMaxConnections } from "./sizing";

export {
  Access,
  AppConnections,
  Cache,
  Database,
  DeployRole,
  FeatureFlags,
  Network,
  Observability,
  AppService,
  Services,
};

export interface AwsEnvironmentOptions {
  /** The stack's AWS provider (region and default tags). */
  readonly provider: aws.Provider;
}

export interface AwsEnvironment {
  /** The application's HTTPS URL, `https://<load balancer DNS name>`; none without a web service. */
  readonly appUrl?: pulumi.Output<string>;
  /** Stack exports: load balancer DNS, endpoints, log groups, role ARNs, ECS services. */
  readonly exports: Record<string, pulumi.Input<unknown>>;
  readonly network: Network;
  readonly observability: Observability;
  readonly services: Services;
  readonly database: Database;
  readonly cache: Cache;
  readonly access: Access;
  /** The CI role deploy jobs assume, and the environment's permissions boundary. */
  readonly deployRole: DeployRole;
  readonly featureFlags: FeatureFlags;
  readonly connections: AppConnections;
}

/**
 * Components with a log group `/<stack>/<app>/<component>`: these, and one `service-<name>` per
 * service (src/model/naming.ts serviceComponent).
 */
export const LOG_GROUP_COMPONENTS = ["network", "cache"] as const;

/** Every log group component of a spec: the fixed ones and one per service. */
export function logGroupComponents(spec: Pick<EnvironmentSpec, "services">): string[] {
  return [
    ...LOG_GROUP_COMPONENTS,
    ...Object.keys(spec.services).map(serviceComponent),
    ...(Object.values(spec.services).some(shiftsTraffic) ? [ROLLOUT_HOOK_COMPONENT] : []),
  ];
}

/** The rollout hook's log group component, when a service shifts traffic. */
export const ROLLOUT_HOOK_COMPONENT = "rollout-hook";

/**
 * Declares a stack's AWS environment from its validated spec. Every resource is created under
 * `provider`, so every taggable one carries the stack's default tags.
 */
export function declareAwsEnvironment(
  spec: EnvironmentSpec,
  options: AwsEnvironmentOptions,
): AwsEnvironment {
  const opts = { provider: options.provider };
  const naming: Naming = { stack: spec.stack, app: spec.app };
  const productionLike = environments().isProductionLike(spec.stack);

  // First: it declares the permissions boundary every other role of the environment carries. A
  // deploy role cannot change itself or the boundary, so an administrator runs the stack's first
  // `pulumi up` (docs/SECURITY.md).
  const gh = spec.github;
  const deployRole = new DeployRole(
    "deploy",
    {
      stack: spec.stack,
      app: spec.app,
      owner: gh.owner,
      repository: gh.repository,
      oidcProvider: gh.oidcProvider,
      stateBucket: gh.stateBucket,
      secretsKeyArn: gh.secretsKeyArn,
    },
    opts,
  );
  const permissionsBoundaryArn = deployRole.boundaryPolicyArn;

  // Alarms watch resources declared after the log groups they need: resolved at the end.
  const [targets, setTargets] = pulumi.deferredOutput<AlarmTargets>();
  const observability = new Observability(
    "observability",
    {
      naming,
      logGroupComponents: logGroupComponents(spec),
      services: Object.entries(spec.services).map(([name, s]) => ({
        name,
        web: s.port !== undefined,
        targetGroups: s.port === undefined ? 0 : shiftsTraffic(s) ? 2 : 1,
      })),
      logRetentionDays: spec.observability.logRetentionDays,
      alarmEmail: spec.observability.alarmEmail,
      latencyP99Ms: spec.observability.latencyP99Ms,
      errorRatePercent: spec.observability.errorRatePercent,
      tracing: spec.observability.tracing,
      databaseStorageGb: spec.database.storageGb,
      databaseMaxConnections: postgresMaxConnections(spec.database.instanceClass),
      cacheShards: spec.cache.shards,
      targets,
    },
    opts,
  );

  const network = new Network(
    "network",
    {
      cidr: spec.network.cidr,
      availabilityZones: spec.network.availabilityZones,
      natGateways: spec.network.natGateways,
      naming,
      permissionsBoundaryArn,
      flowLogGroupArn: observability.logGroupArns["network"]!,
    },
    opts,
  );

  const services = new Services(
    "service",
    {
      naming,
      services: spec.services,
      certificateArn: spec.loadBalancer?.certificateArn,
      // The model requires the image whenever tracing is on.
      xrayDaemonImage: spec.observability.tracing ? spec.observability.xrayDaemonImage : undefined,
      deletionProtection: spec.database.deletionProtection,
      logGroupNames: Object.fromEntries(
        Object.keys(spec.services).map((s) => [
          s,
          observability.logGroupNames[serviceComponent(s)]!,
        ]),
      ),
      rolloutLogGroupName: observability.logGroupNames[ROLLOUT_HOOK_COMPONENT],
      parameterPath: scoped(naming),
      vpcId: network.vpcId,
      vpcCidr: network.cidr,
      publicSubnetIds: network.publicSubnetIds,
      appSubnetIds: network.appSubnetIds,
      permissionsBoundaryArn,
    },
    opts,
  );

  const database = new Database(
    "database",
    {
      naming,
      engineVersion: spec.database.engineVersion,
      instanceClass: spec.database.instanceClass,
      multiAz: spec.database.multiAz,
      storageGb: spec.database.storageGb,
      backupRetentionDays: spec.database.backupRetentionDays,
      deletionProtection: spec.database.deletionProtection,
      readReplicas: spec.database.readReplicas,
      accessCidrs: spec.database.accessCidrs,
      finalSnapshot: productionLike,
      protect: environments().role(spec.stack) === "production",
      vpcId: network.vpcId,
      subnetIds: network.dataSubnetIds,
      clientSecurityGroupIds: services.securityGroupIds,
    },
    opts,
  );

  const cache = new Cache(
    "cache",
    {
      naming,
      engineVersion: spec.cache.engineVersion,
      nodeType: spec.cache.nodeType,
      shards: spec.cache.shards,
      replicasPerShard: spec.cache.replicasPerShard,
      snapshotRetentionDays: productionLike ? 7 : 0,
      vpcId: network.vpcId,
      subnetIds: network.dataSubnetIds,
      clientSecurityGroupIds: services.securityGroupIds,
      slowLogGroupName: observability.logGroupNames["cache"]!,
    },
    opts,
  );

  const connections = new AppConnections(
    "connections",
    {
      path: scoped(naming, "connections"),
      taskRoleArn: services.taskRoleArn,
      databaseEndpoint: database.endpoint,
      databaseReaderEndpoints: database.readerEndpoints,
      databaseSecretArn: database.masterUserSecretArn,
      databaseKeyArn: database.keyArn,
      cacheEndpoint: cache.configurationEndpoint,
      cacheAuthTokenSecretArn: cache.authTokenSecretArn,
      cacheKeyArn: cache.keyArn,
    },
    opts,
  );

  const images = Object.values(spec.services).map((s) => s.image);
  const access = new Access(
    "access",
    {
      naming,
      levels: spec.access,
      clusterName: services.clusterName,
      taskRoleArns: [services.taskRoleArn, services.executionRoleArn],
      imageRepositoryArns: images.map(ecrRepositoryArn).filter((a): a is string => a !== undefined),
      permissionsBoundaryArn,
    },
    opts,
  );

  const featureFlags = new FeatureFlags(
    "flags",
    { path: scoped(naming, "flags"), flags: spec.featureFlags },
    opts,
  );

  setTargets(
    pulumi
      .all([
        services.loadBalancerArnSuffix,
        pulumi.all(
          Object.values(services.services).map((s) =>
            pulumi.all(s.targetGroupArnSuffixes).apply((tgs) => ({
              name: s.service,
              serviceName: s.serviceName,
              targetGroupArnSuffixes: tgs,
            })),
          ),
        ),
      ])
      .apply(([lb, perService]): AlarmTargets => ({
        loadBalancerArnSuffix: lb,
        services: perService,
        clusterName: services.clusterName,
        databaseInstanceId: database.instanceId,
        cacheNodeIdsByShard: cache.nodeIdsByShard,
      })),
  );

  const appUrl = services.loadBalancerDnsName
    ? pulumi.interpolate`https://${services.loadBalancerDnsName}`
    : undefined;
  return {
    appUrl,
    network,
    observability,
    services,
    database,
    cache,
    access,
    deployRole,
    featureFlags,
    connections,
    exports: {
      ...(appUrl ? { loadBalancerDnsName: services.loadBalancerDnsName, appUrl } : {}),
      databaseEndpoint: database.endpoint,
      databaseReaderEndpoints: pulumi.all(database.readerEndpoints),
      cacheEndpoint: cache.configurationEndpoint,
      logGroups: observability.logGroupNames,
      roleArns: access.roleArns,
      // What the deploy job checks after the update (envstack verify-deploy): the task
      // definition each ECS service must run, the app's health URL and the rollback alarms that
      // must not be in ALARM, by ECS service name.
      ecsServices: {
        cluster: services.clusterName,
        taskDefinitions: Object.assign(
          {},
          ...Object.values(services.services).map((s) => s.taskDefinitions),
        ) as Record<string, pulumi.Output<string>>,
        ...(services.appHealthUrl ? { healthUrl: services.appHealthUrl } : {}),
        rollbackAlarms: Object.fromEntries(
          Object.values(services.services)
            .filter((s) => s.rollbackAlarmNames.length > 0)
            .map((s) => [s.serviceName, s.rollbackAlarmNames]),
        ),
      },
      alarmTopicArn: observability.alarmTopicArn,
      deployRoleArn: deployRole.roleArn,
      boundaryPolicyArn: deployRole.boundaryPolicyArn,
    },
  };
}
