// Generated from the config schema (components/config/coreSchema.ts, components/platforms/*/args.ts):
// do not edit. Change the schema, then run `UPDATE_GOLDEN=1 npm test` to rewrite this file.
import type * as pulumi from "@pulumi/pulumi";

/** The arguments of FoobarInfra: stack config's `foobar:` namespace. */
export interface FoobarInfraArgs {
    /** Where the servers run: `docker` (local containers) or `aws` (EC2; needs `aws:region`). @default "docker" */
    readonly platform?: Platform;
    /** The site's name; the certificate covers it, `localhost` and `127.0.0.1`. @default "www.foobar.com" */
    readonly domain?: string;
    /** Web servers (server-1 … server-N), 1 to 8; the load balancers follow them (server-(N+1), server-(N+2)). @default 2 */
    readonly webServers?: number;
    /** The load balancers: HAProxy on the server after the web servers, and with `count: 2` on one more. */
    readonly lb?: LoadBalancerArgs;
    /** TLS for the site, terminated on HAProxy: `self-signed` or `provided`. */
    readonly tls?: TlsArgs;
    /** The primary-replica database cluster. */
    readonly database?: DatabaseArgs;
    /** Prometheus on each load balancer's server: scrapes every HAProxy and the databases' exporters, and evaluates the alert rules. */
    readonly monitoring?: MonitoringArgs;
    /** The stack holds data that must outlive a mistake: its database volumes and RDS instances are `protect`ed, so `pulumi destroy` and replacements refuse until `pulumi state unprotect`. Database volumes are kept (`retainOnDelete`) either way. @default false */
    readonly production?: boolean;
    /** Settings only the docker platform reads. */
    readonly docker?: DockerArgs;
    /** Settings only the aws platform reads. */
    readonly aws?: AwsArgs;
}

/** The values of `platform`. */
export const Platform = {
    Docker: "docker",
    Aws: "aws",
} as const;
export type Platform = (typeof Platform)[keyof typeof Platform];

/** The load balancers: HAProxy on the server after the web servers, and with `count: 2` on one more. */
export interface LoadBalancerArgs {
    /** Load-balancer servers, 1 or 2. 1: HAProxy on server-(N+1), beside the primary (the original design). 2: a second, server-(N+2), with HAProxy and Prometheus only, and one address that moves between the two: keepalived's virtual IP on docker, a Network Load Balancer with an Elastic IP per zone on aws. @default 1 */
    readonly count?: number;
    /** How requests are spread over the web servers: `roundrobin`, `leastconn` or `source`. @default "roundrobin" */
    readonly algorithm?: LbAlgorithm;
    /** `active-active`: every web server takes traffic; `active-passive`: only server-1 does, the others are HAProxy `backup` servers that take over when it fails (needs 2+ web servers). @default "active-active" */
    readonly mode?: LbMode;
    /** How HAProxy decides that a web server is up or down. */
    readonly healthCheck?: HealthCheckArgs;
}

/** The values of `lb.algorithm`. */
export const LbAlgorithm = {
    Roundrobin: "roundrobin",
    Leastconn: "leastconn",
    Source: "source",
} as const;
export type LbAlgorithm = (typeof LbAlgorithm)[keyof typeof LbAlgorithm];

/** The values of `lb.mode`. */
export const LbMode = {
    ActiveActive: "active-active",
    ActivePassive: "active-passive",
} as const;
export type LbMode = (typeof LbMode)[keyof typeof LbMode];

/** How HAProxy decides that a web server is up or down. */
export interface HealthCheckArgs {
    /** Time between two checks of one server, in ms (100–60000). @default 1000 */
    readonly intervalMs?: number;
    /** How long one check may take, in ms; at most `lb.healthCheck.intervalMs`. @default min(1000, intervalMs) */
    readonly timeoutMs?: number;
    /** Consecutive failed checks that take a server out of rotation (1–10). @default 2 */
    readonly fall?: number;
    /** Consecutive passed checks that bring a server back (1–10). @default 2 */
    readonly rise?: number;
}

/** The values of `tls.mode`. */
export const TlsMode = {
    SelfSigned: "self-signed",
    Provided: "provided",
} as const;
export type TlsMode = (typeof TlsMode)[keyof typeof TlsMode];

/** TLS for the site, terminated on HAProxy: `self-signed` or `provided`. */
export interface TlsArgs {
    /** TLS for the site, terminated on HAProxy: `self-signed` or `provided`. `self-signed`: A CA and an ECDSA P-256 site certificate made with @pulumi/tls. `provided`: Your own certificate and key, both from secret config. @default "self-signed" */
    readonly mode?: TlsMode;
    /** With `mode: self-signed`: Validity of the CA and the site certificate, in days (1–366: Mozilla's longest for a server certificate). @default 365 */
    readonly validityDays?: number;
    /** With `mode: provided` (required): PEM certificate chain for the domain, leaf first, as a secret: `pulumi config set --secret --path foobar:tls.certificate "$(cat cert.pem)"`. */
    readonly certificate?: pulumi.Input<string>;
    /** With `mode: provided` (required): PEM private key of the certificate, as a secret. */
    readonly key?: pulumi.Input<string>;
}

/** The primary-replica database cluster. */
export interface DatabaseArgs {
    /** `self-managed`: a MariaDB primary on the load balancer's server and GTID replicas on the web servers; `managed`: RDS MySQL with read replicas (platform `aws` only). @default "self-managed" */
    readonly mode?: DatabaseMode;
    /** Read replicas. Self-managed: 0 to one per web server, placed on server-1, server-2, …; managed: RDS read replicas, 0 to 5. @default `webServers` (self-managed), `1` (managed) */
    readonly replicas?: number;
    /** What happens when the primary dies. `manual`: GTID replicas, one promoted by hand (README runbook). `automatic`, self-managed: the primary and the replicas form a Galera cluster (every commit certified by a majority, a minority refuses writes) and the write address (keepalived's virtual IP on docker, an overlay IP that aws-vpc-move-ip routes on aws) moves to a node of the majority; needs 3+ database nodes (`replicas` 2 or more). `automatic`, managed: RDS Multi-AZ (`aws.rds.multiAz` or `aws.rds.deployment`). @default "manual" */
    readonly failover?: DatabaseFailover;
}

/** The values of `database.mode`. */
export const DatabaseMode = {
    SelfManaged: "self-managed",
    Managed: "managed",
} as const;
export type DatabaseMode = (typeof DatabaseMode)[keyof typeof DatabaseMode];

/** The values of `database.failover`. */
export const DatabaseFailover = {
    Manual: "manual",
    Automatic: "automatic",
} as const;
export type DatabaseFailover = (typeof DatabaseFailover)[keyof typeof DatabaseFailover];

/** Prometheus on each load balancer's server: scrapes every HAProxy and the databases' exporters, and evaluates the alert rules. */
export interface MonitoringArgs {
    /** Run Prometheus on each load balancer's server, and a mysqld exporter beside each self-managed database. @default true */
    readonly enabled?: boolean;
    /** Seconds between scrapes and rule evaluations (1–60); alerts fire after 2 to 3 of them. @default 5 */
    readonly scrapeIntervalSeconds?: number;
    /** Days of metrics Prometheus keeps (1–365). @default 15 */
    readonly retentionDays?: number;
    /** Who Alertmanager (beside each Prometheus) tells: a webhook, e-mail, or both; critical alerts at once, warnings grouped and repeated every 4 h. Unset: the alerts stay in Alertmanager's and Prometheus's UIs. */
    readonly alerts?: AlertReceiversArgs;
}

/** Who Alertmanager (beside each Prometheus) tells: a webhook, e-mail, or both; critical alerts at once, warnings grouped and repeated every 4 h. Unset: the alerts stay in Alertmanager's and Prometheus's UIs. */
export interface AlertReceiversArgs {
    /** Where every notification is POSTed (Alertmanager's webhook JSON), as a secret: a bridge to Slack, PagerDuty and the like (README, "Alerts that reach someone"). */
    readonly webhookUrl?: pulumi.Input<string>;
    /** E-mail over SMTP (STARTTLS required): every notification of the webhook, to one address. */
    readonly email?: EmailReceiverArgs;
}

/** E-mail over SMTP (STARTTLS required): every notification of the webhook, to one address. */
export interface EmailReceiverArgs {
    /** The address alerts go to, e.g. `oncall@example.com`. */
    readonly to: string;
    /** The sender they come from, e.g. `alerts@foobar.com`. */
    readonly from: string;
    /** The SMTP server as host:port, e.g. `smtp.example.org:587`. */
    readonly smarthost: string;
    /** The SMTP login, with `password`; unset: no login. */
    readonly username?: string;
    /** The SMTP password, as a secret (on aws an SSM SecureString, read by the load balancers only). */
    readonly password?: pulumi.Input<string>;
}

/** Settings only the docker platform reads. */
export interface DockerArgs {
    /** Host port HAProxy publishes HTTP on (it redirects to HTTPS); with `lb.count: 2` nothing is published: clients use the virtual IP's port 80. @default 8080 */
    readonly httpPort?: number;
    /** Host port HAProxy publishes HTTPS on; with `lb.count: 2`, the virtual IP's 443 instead. @default 8443 */
    readonly httpsPort?: number;
    /** Host address the ports are published on; loopback keeps the site private. @default "127.0.0.1" */
    readonly bindAddress?: string;
    /** Must be true for a `docker.bindAddress` other than loopback: the site and Prometheus then answer every network that address is on. @default false */
    readonly exposeOnNetwork?: boolean;
    /** Private range (/16 to /21) carved into one /24 per network: edge, web, data, metrics, then one per web server. @default "10.77.0.0/16" */
    readonly subnet?: string;
    /** Host port Prometheus publishes its UI and API on, with monitoring on; with `lb.count: 2` the second load balancer's Prometheus takes the next port. @default 9090 */
    readonly prometheusPort?: number;
}

/** Settings only the aws platform reads. */
export interface AwsArgs {
    /** The VPC's range (/16 to /20), cut into /24 subnets; with `aws.existingVpc`, that VPC's range. @default "10.0.0.0/16" */
    readonly vpcCidr?: string;
    /** An existing VPC and its subnets instead of a new one. */
    readonly existingVpc?: ExistingVpcArgs;
    /** Web servers (and RDS) in private subnets behind a NAT gateway, instead of public ones locked by security groups. @default false */
    readonly privateSubnets?: boolean;
    /** The image of every instance. Unset: the newest Debian 12 at the first `up`, then pinned in the stack's state until you move on (README, "Updating the stacks"). @default the newest Debian 12, pinned */
    readonly amiId?: string;
    /** The account whose newest Debian 12 image is used when `aws.amiId` is unset (Debian's). @default "136693071363" */
    readonly amiOwner?: string;
    /** Instance type per role. */
    readonly instanceTypes?: InstanceTypesArgs;
    /** The only range SSH is opened to: a /16 or narrower, never 0.0.0.0/0. @default no SSH (use SSM Session Manager) */
    readonly adminCidr?: string;
    /** Days CloudWatch Logs keeps the VPC's flow logs: one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653). @default 90 */
    readonly flowLogRetentionDays?: number;
    /** An e-mail address subscribed to the stack's alert topic (every CloudWatch alarm, in and out of ALARM). SNS mails it a confirmation link first; nothing arrives until it is followed (README, "CloudWatch alarms and the alert topic"). @default no e-mail subscription */
    readonly alarmEmail?: string;
    /** Self-managed database only: the size of each database's data volume (encrypted gp3 EBS, kept when its instance goes), in GB (8–16384). @default 20 */
    readonly databaseVolumeGb?: number;
    /** Self-managed database only: days the daily snapshots of the database volumes are kept (Data Lifecycle Manager; 1–365). @default 7 */
    readonly snapshotRetentionDays?: number;
    /** Self-managed database only: servers whose database volume is made anew from an EBS snapshot, as `{server, snapshotId}` (README, "Restore a database volume"). */
    readonly restoreDatabaseVolumes?: DatabaseVolumeRestore[];
    /** The managed database (`database.mode: managed`). */
    readonly rds?: RdsArgs;
}

/** An existing VPC and its subnets instead of a new one. */
export interface ExistingVpcArgs {
    /** The VPC's id, e.g. "vpc-0123456789abcdef0". */
    readonly vpcId: string;
    /** At least two public subnets, in two availability zones, as `{id, cidr}`. */
    readonly publicSubnets: ExistingSubnet[];
    /** Two private subnets as `{id, cidr}`, needed with `aws.privateSubnets`. */
    readonly privateSubnets?: ExistingSubnet[];
}

/** A subnet of the existing VPC. */
export interface ExistingSubnet {
    /** Subnet id, e.g. "subnet-0abc...". */
    readonly id: string;
    /** Its IPv4 CIDR: instance addresses are planned inside it. */
    readonly cidr: string;
    /** Its availability zone, e.g. "eu-west-1a": the servers and RDS are spread over two. */
    readonly availabilityZone: string;
}

/** Instance type per role. */
export interface InstanceTypesArgs {
    /** The load balancer's instance type. @default "t3.small" */
    readonly lb?: string;
    /** Each web server's instance type. @default "t3.micro" */
    readonly web?: string;
}

/** One database volume to create from a snapshot. */
export interface DatabaseVolumeRestore {
    /** The server whose database volume it is, e.g. "server-3" (the primary, on the load balancer's server). */
    readonly server: string;
    /** The EBS snapshot, e.g. "snap-0123456789abcdef0" (one of the daily snapshots, or your own). */
    readonly snapshotId: string;
}

/** The managed database (`database.mode: managed`). */
export interface RdsArgs {
    /** `instance`: a DB instance (Multi-AZ with `aws.rds.multiAz`: one standby, failover typically 60–120 s) and `database.replicas` read replicas; `multi-az-cluster`: a Multi-AZ DB cluster, a writer and two readable standbys in three availability zones (failover typically under 35 s), whose reader endpoint serves the reads. @default "instance" */
    readonly deployment?: RdsDeployment;
    /** The RDS instance class of the primary and its read replicas; with `multi-az-cluster`, of its three instances, a class of db.m5d, db.m6gd, db.r5d, db.r6gd, db.x2iedn. @default "db.t4g.micro" */
    readonly instanceClass?: string;
    /** Storage of the primary (of each cluster instance), in GB (20–65536; 400 or more for `multi-az-cluster`). @default `20` (instance), `400` (multi-az-cluster) */
    readonly allocatedStorageGb?: number;
    /** With `deployment: instance`, a synchronous standby in a second availability zone that RDS fails over to. @default false */
    readonly multiAz?: boolean;
    /** Days of automated backups kept (7–35). @default 7 */
    readonly backupRetentionDays?: number;
    /** RDS refuses to delete the primary while set. @default false */
    readonly deletionProtection?: boolean;
    /** Take a snapshot of the primary when it is deleted. @default false */
    readonly finalSnapshot?: boolean;
}

/** The values of `aws.rds.deployment`. */
export const RdsDeployment = {
    Instance: "instance",
    MultiAzCluster: "multi-az-cluster",
} as const;
export type RdsDeployment = (typeof RdsDeployment)[keyof typeof RdsDeployment];
