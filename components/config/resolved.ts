// Generated from the config schema (components/config/coreSchema.ts, components/platforms/*/args.ts):
// do not edit. Change the schema, then run `UPDATE_GOLDEN=1 npm test` to rewrite this file.
import type * as pulumi from "@pulumi/pulumi";
import type {
    Platform,
    LbAlgorithm,
    LbMode,
    DatabaseMode,
    DatabaseFailover,
    ExistingSubnet,
    DatabaseVolumeRestore,
    RdsDeployment,
} from "./args";

/** FoobarInfraArgs with every default applied. */
export interface ResolvedArgs {
    readonly platform: Platform;
    readonly domain: string;
    readonly webServers: number;
    readonly lb: ResolvedLoadBalancer;
    readonly tls: ResolvedTls;
    readonly database: ResolvedDatabase;
    readonly monitoring: ResolvedMonitoring;
    readonly production: boolean;
    readonly docker: ResolvedDocker;
    readonly aws: ResolvedAws;
}

/** LoadBalancerArgs with every default applied. */
export interface ResolvedLoadBalancer {
    readonly count: number;
    readonly algorithm: LbAlgorithm;
    readonly mode: LbMode;
    readonly healthCheck: ResolvedHealthCheck;
}

/** HealthCheckArgs with every default applied. */
export interface ResolvedHealthCheck {
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly fall: number;
    readonly rise: number;
}

/** TlsArgs with every default applied. */
export type ResolvedTls =
    | {
          readonly mode: "self-signed";
          readonly validityDays: number;
      }
    | {
          readonly mode: "provided";
          readonly certificate: pulumi.Input<string>;
          readonly key: pulumi.Input<string>;
      };

/** DatabaseArgs with every default applied. */
export interface ResolvedDatabase {
    readonly mode: DatabaseMode;
    readonly replicas: number;
    readonly failover: DatabaseFailover;
}

/** MonitoringArgs with every default applied. */
export interface ResolvedMonitoring {
    readonly enabled: boolean;
    readonly scrapeIntervalSeconds: number;
    readonly retentionDays: number;
    readonly alerts?: ResolvedAlertReceivers;
}

/** AlertReceiversArgs with every default applied. */
export interface ResolvedAlertReceivers {
    readonly webhookUrl?: pulumi.Output<string>;
    readonly email?: ResolvedEmailReceiver;
}

/** EmailReceiverArgs with every default applied. */
export interface ResolvedEmailReceiver {
    readonly to: string;
    readonly from: string;
    readonly smarthost: string;
    readonly username?: string;
    readonly password?: pulumi.Output<string>;
}

/** DockerArgs with every default applied. */
export interface ResolvedDocker {
    readonly httpPort: number;
    readonly httpsPort: number;
    readonly bindAddress: string;
    readonly exposeOnNetwork: boolean;
    readonly subnet: string;
    readonly prometheusPort: number;
}

/** AwsArgs with every default applied. */
export interface ResolvedAws {
    readonly vpcCidr: string;
    readonly existingVpc?: ResolvedExistingVpc;
    readonly privateSubnets: boolean;
    readonly amiId?: string;
    readonly amiOwner: string;
    readonly instanceTypes: ResolvedInstanceTypes;
    readonly adminCidr?: string;
    readonly flowLogRetentionDays: number;
    readonly alarmEmail?: string;
    readonly databaseVolumeGb: number;
    readonly snapshotRetentionDays: number;
    readonly restoreDatabaseVolumes: readonly DatabaseVolumeRestore[];
    readonly rds: ResolvedRds;
}

/** ExistingVpcArgs with every default applied. */
export interface ResolvedExistingVpc {
    readonly vpcId: string;
    readonly publicSubnets: readonly ExistingSubnet[];
    readonly privateSubnets: readonly ExistingSubnet[];
}

/** InstanceTypesArgs with every default applied. */
export interface ResolvedInstanceTypes {
    readonly lb: string;
    readonly web: string;
}

/** RdsArgs with every default applied. */
export interface ResolvedRds {
    readonly deployment: RdsDeployment;
    readonly instanceClass: string;
    readonly allocatedStorageGb: number;
    readonly multiAz: boolean;
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
    readonly finalSnapshot: boolean;
}
