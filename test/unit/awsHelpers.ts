// Shared by the aws stack tests: runs defineStack under mocks on the staging or prod stack file,
// names the AWS resource types, decodes user data, resolves security group rules and renders a
// stack file's services the way the aws platform wires them.
import assert from "node:assert/strict";
import { gunzipSync } from "zlib";
import * as yaml from "js-yaml";
import { validateArgs } from "../../components/foobarSchema";
import { planAws } from "../../components/platforms/aws/plan";
import { placeholderLookup } from "../../components/platforms/aws/secrets";
import { awsView } from "../../components/platforms/aws/view";
import { renderEnvFile } from "../../components/render/app";
import { renderService } from "../../components/services";
import { defineStack } from "../../components/stack";
import { buildTopology } from "../../components/topology";
import { RecordedResource, StackRun, TYPES, byType, findResource, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { Outputs, countByType, withPlainStackTraces } from "./stackHelpers";
import { byKey } from "./topologyHelpers";

export const AWS_TYPES = {
    vpc: "aws:ec2/vpc:Vpc",
    defaultSecurityGroup: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    subnet: "aws:ec2/subnet:Subnet",
    internetGateway: "aws:ec2/internetGateway:InternetGateway",
    routeTable: "aws:ec2/routeTable:RouteTable",
    routeTableAssociation: "aws:ec2/routeTableAssociation:RouteTableAssociation",
    natGateway: "aws:ec2/natGateway:NatGateway",
    eip: "aws:ec2/eip:Eip",
    eipAssociation: "aws:ec2/eipAssociation:EipAssociation",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    instance: "aws:ec2/instance:Instance",
    parameter: "aws:ssm/parameter:Parameter",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    dbSubnetGroup: "aws:rds/subnetGroup:SubnetGroup",
    dbParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
    db: "aws:rds/instance:Instance",
    randomId: "random:index/randomId:RandomId",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    flowLog: "aws:ec2/flowLog:FlowLog",
    dbOptionGroup: "aws:rds/optionGroup:OptionGroup",
    volume: "aws:ebs/volume:Volume",
    volumeAttachment: "aws:ec2/volumeAttachment:VolumeAttachment",
    lifecyclePolicy: "aws:dlm/lifecyclePolicy:LifecyclePolicy",
    readiness: "pulumi-nodejs:dynamic/foobar:InstanceReadiness",
    bucket: "aws:s3/bucket:Bucket",
    bucketOwnershipControls: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketEncryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
    bucketObject: "aws:s3/bucketObjectv2:BucketObjectv2",
    stash: "pulumi:index:Stash",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    targetGroupAttachment: "aws:lb/targetGroupAttachment:TargetGroupAttachment",
    listener: "aws:lb/listener:Listener",
    route: "aws:ec2/route:Route",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    topic: "aws:sns/topic:Topic",
    topicSubscription: "aws:sns/topicSubscription:TopicSubscription",
    kmsKey: "aws:kms/key:Key",
    kmsKeyPolicy: "aws:kms/keyPolicy:KeyPolicy",
} as const;

export const AMI_CALL = "aws:ec2/getAmi:getAmi";
export const ZONES_CALL = "aws:index/getAvailabilityZones:getAvailabilityZones";

const runs = new Map<string, Promise<StackRun<Outputs>>>();

/** A stack file with some keys replaced (or removed when undefined), run as that stack; one run per distinct config. */
export function runStack(file: "staging" | "prod", overrides: Record<string, unknown> = {}): Promise<StackRun<Outputs>> {
    const key = JSON.stringify([file, overrides]);
    let run = runs.get(key);
    if (!run) {
        const config = Object.fromEntries(Object.entries({ ...loadStackConfig(file), ...overrides }).filter(([, v]) => v !== undefined));
        run = withPlainStackTraces(() => runUnderMocks(config, defineStack, { stack: file }));
        runs.set(key, run);
    }
    return run;
}

/** The stack file's self-managed database with failover manual: GTID replication from the primary, no Galera. */
export function manualFailover(file: "staging" | "prod"): Record<string, unknown> {
    return { "foobar:database": { ...(loadStackConfig(file)["foobar:database"] as object), failover: "manual" } };
}

/**
 * The stack file's `foobar:aws` object with some keys replaced: the override of the whole key. With
 * `existingVpc`, a stack file with automatic failover also gets failover manual (manualFailover):
 * the write address needs the route tables of a VPC of the stack's own (refused otherwise, by design).
 */
export function awsConfig(file: "staging" | "prod", changes: Record<string, unknown>): Record<string, unknown> {
    const database = loadStackConfig(file)["foobar:database"] as { failover?: string };
    const manual = changes.existingVpc !== undefined && database.failover === "automatic";
    return { "foobar:aws": { ...(loadStackConfig(file)["foobar:aws"] as object), ...changes }, ...(manual ? manualFailover(file) : {}) };
}

/**
 * The stack file's `foobar:lb` with count 1: one load balancer with its own Elastic IP, as every
 * aws stack was before lb.count (the stack files now set 2: awsLoadBalancerPair.test.ts).
 */
export function singleLb(file: "staging" | "prod"): Record<string, unknown> {
    return { "foobar:lb": { ...(loadStackConfig(file)["foobar:lb"] as object), count: 1 } };
}

/** Resources per short type name (TYPES and AWS_TYPES), plus "component". */
export function countAws(resources: readonly RecordedResource[]): Record<string, number> {
    const short = new Map<string, string>(Object.entries(AWS_TYPES).map(([k, v]) => [v, k]));
    return Object.fromEntries(Object.entries(countByType(resources)).map(([k, n]) => [short.get(k) ?? k, n]));
}

/** The expected counts for a stack: `counts` plus the TLS resources every self-signed stack has. */
export const withTls = (counts: Record<string, number>): Record<string, number> => ({
    component: 1,
    privateKey: 2,
    selfSignedCert: 1,
    certRequest: 1,
    locallySignedCert: 1,
    ...counts,
});

/** Adds what every aws stack has besides its servers: the VPC flow log, its log group, role and policy. */
export const withFlowLogs = (counts: Record<string, number>): Record<string, number> => ({
    ...withTls(counts),
    logGroup: 1,
    flowLog: 1,
    role: (counts.role ?? 0) + 1,
    rolePolicy: (counts.rolePolicy ?? 0) + 1,
});

/**
 * Adds the AWS-native alarms (components/platforms/aws/alarms.ts): the alert topic with its KMS key
 * and key policy, two status check alarms per instance (`servers`), and `others` more (RDS's).
 */
export const withAlarms = (counts: Record<string, number>, servers: number, others = 0): Record<string, number> => ({
    ...counts,
    topic: 1,
    kmsKey: 1,
    kmsKeyPolicy: 1,
    metricAlarm: (counts.metricAlarm ?? 0) + 2 * servers + others,
});

/** A managed database's alarms: the writer's CPU, free storage and connections, and a read replica's lag besides. */
export const RDS_ALARMS = (replicas: number): number => 3 + 4 * replicas;

/** Adds a self-managed database's TLS: its CA, a key and certificate per database server, and each key's SSM parameter. */
export const withDatabaseTls = (counts: Record<string, number>, databases: number): Record<string, number> => ({
    ...counts,
    privateKey: (counts.privateKey ?? 0) + 1 + databases,
    selfSignedCert: (counts.selfSignedCert ?? 0) + 1,
    certRequest: (counts.certRequest ?? 0) + databases,
    locallySignedCert: (counts.locallySignedCert ?? 0) + databases,
    parameter: (counts.parameter ?? 0) + databases,
});

/**
 * Adds a self-managed database's volumes (one per database server, attached) and their daily
 * snapshots (a DLM policy, its role and AWS's managed policy for it).
 */
export const withDataVolumes = (counts: Record<string, number>, databases: number): Record<string, number> => ({
    ...counts,
    volume: databases,
    volumeAttachment: databases,
    lifecyclePolicy: 1,
    role: (counts.role ?? 0) + 1,
    rolePolicyAttachment: (counts.rolePolicyAttachment ?? 0) + 1,
});

/**
 * Adds `gates` readiness gates (each web server's; a pair's load balancers', withNlb; a Galera
 * bootstrap node's, withGalera): its parameter, the role policy that may write it, the resource that waits for it.
 */
export const withReadiness = (counts: Record<string, number>, gates: number): Record<string, number> => ({
    ...counts,
    parameter: (counts.parameter ?? 0) + gates,
    rolePolicy: (counts.rolePolicy ?? 0) + gates,
    readiness: (counts.readiness ?? 0) + gates,
});

/**
 * Adds the stack's bundles as artifacts (components/platforms/aws/artifacts.ts): the stack's bucket
 * (ownership, public access block, encryption, TLS-only policy); the app bundle's object and each
 * web server's role policy that may read it; and, where monitoring is on, the monitoring bundle's
 * object (Prometheus's alert rules, too large for user data) and the role policy of each of the
 * `monitors` servers running Prometheus (the load balancers) that may read it.
 */
export const withArtifacts = (counts: Record<string, number>, webServers: number, monitors: number): Record<string, number> => ({
    ...counts,
    bucket: 1,
    bucketOwnershipControls: 1,
    bucketPublicAccessBlock: 1,
    bucketEncryption: 1,
    bucketPolicy: 1,
    bucketObject: monitors > 0 ? 2 : 1,
    rolePolicy: (counts.rolePolicy ?? 0) + webServers + monitors,
});

/**
 * A pair of load balancers behind an NLB instead of one with an Elastic IP: an Elastic IP per zone
 * and no association, the NLB, a target group and a listener per port (80, 443) with both
 * instances attached and an unhealthy-hosts alarm, and a readiness gate per load balancer. With `galera`, `counts` (lb.count 1)
 * has the first load balancer's gate already: it is the Galera cluster's bootstrap node (withGalera).
 */
export const withNlb = (counts: Record<string, number>, galera = false): Record<string, number> => {
    const rest = { ...counts };
    delete rest.eipAssociation;
    return withReadiness(
        {
            ...rest,
            eip: (counts.eip ?? 0) + 1,
            loadBalancer: 1,
            targetGroup: 2,
            targetGroupAttachment: 4,
            listener: 2,
            metricAlarm: (counts.metricAlarm ?? 0) + 2,
        },
        galera ? 1 : 2,
    );
};

/**
 * A Galera cluster of `nodes` instead of GTID replication (database.failover automatic), with
 * lb.count 1: no replication password (nor its parameter); between the nodes Galera's three ports
 * and VRRP, in and out, instead of replication's 3306; the app's way out to the write address; each
 * node's role policy that moves the write address's route, and the route (one route table); and the
 * bootstrap node's readiness gate, which the other nodes wait for (the load balancer's: a pair's
 * first has one anyway, withNlb).
 */
export const withGalera = (counts: Record<string, number>, nodes: number): Record<string, number> =>
    withReadiness(
        {
            ...counts,
            password: (counts.password ?? 0) - 1,
            parameter: (counts.parameter ?? 0) - 1,
            // 4444, 4567, 4568 and VRRP in; replication's 3306 between the nodes gone.
            ingress: (counts.ingress ?? 0) + 3,
            // The same out, and 3306 to the write address.
            egress: (counts.egress ?? 0) + 4,
            rolePolicy: (counts.rolePolicy ?? 0) + nodes,
            route: 1,
        },
        1,
    );

/** Adds what a managed database has besides its instances: the audit-log option group and the enhanced-monitoring role. */
export const withRdsExtras = (counts: Record<string, number>): Record<string, number> => ({
    ...counts,
    dbOptionGroup: 1,
    role: (counts.role ?? 0) + 1,
    rolePolicyAttachment: 1,
});

/** Every instance, by server (registration order follows when their user data resolves). */
export const instances = (run: StackRun<Outputs>) =>
    byType(run.resources, AWS_TYPES.instance).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));

export function instance(run: StackRun<Outputs>, prefix: string, server: string): RecordedResource {
    return findResource(run.resources, AWS_TYPES.instance, `${prefix}-${server}`);
}

export interface WriteFile {
    readonly path: string;
    readonly content: string;
    readonly permissions: string;
    readonly owner: string;
    readonly defer: boolean;
}

export interface CloudConfig {
    readonly hostname: string;
    readonly packages: string[];
    readonly write_files: WriteFile[];
    readonly runcmd: string[][];
}

export interface DecodedUserData {
    /** Gzipped size: what EC2 limits to 16 KiB. */
    readonly gzipBytes: number;
    readonly text: string;
    readonly config: CloudConfig;
}

/** userDataBase64 -> gunzip -> the cloud-config text and its YAML. */
export function userData(r: RecordedResource): DecodedUserData {
    const gz = Buffer.from(r.inputs.userDataBase64 as string, "base64");
    const text = gunzipSync(gz).toString("utf8");
    return { gzipBytes: gz.length, text, config: yaml.load(text) as CloudConfig };
}

export function writtenFile(config: CloudConfig, path: string): string {
    const found = config.write_files.find((f) => f.path === path);
    assert.ok(found, `${config.hostname} writes no ${path}; has ${config.write_files.map((f) => f.path).join(", ")}`);
    return found.content;
}

/**
 * A file as user data carries it when it ships without its comment lines: every line but the first
 * (a shebang, or a "Rendered by" header) that starts with `marker` ("#", or "--" for SQL) goes.
 */
export const uncommented = (text: string, marker = "#"): string =>
    text
        .split("\n")
        .filter((line, i) => i === 0 || !line.trimStart().startsWith(marker))
        .join("\n");

export const sitePem = (stack: string) => `-----BEGIN CERTIFICATE-----\nFAKE-foobar-${stack}-site-cert\n-----END CERTIFICATE-----\n`;

/**
 * The production wiring for a stack file (with some keys replaced, as runStack takes them): a
 * service's file, or its env file, as the aws view renders it.
 */
export function wiring(stack: "staging" | "prod", databaseHosts: readonly string[] = [], overrides: Record<string, unknown> = {}) {
    const raw = Object.entries({ ...loadStackConfig(stack), ...overrides }).filter(([k]) => k.startsWith("foobar:"));
    const topology = buildTopology(validateArgs(Object.fromEntries(raw.map(([k, v]) => [k.slice("foobar:".length), v]))));
    const context = { topology, view: awsView(topology, planAws(topology), databaseHosts) };
    // The mocks' certificates (fake PEMs named after their resources): the site's, the database CA, each server's.
    const fake = (resource: string) => `-----BEGIN CERTIFICATE-----\nFAKE-foobar-${stack}-${resource}\n-----END CERTIFICATE-----\n`;
    const selfManaged = topology.args.database.mode === "self-managed";
    const secret = (key: string) =>
        placeholderLookup(
            {
                certificatePem: sitePem(stack),
                databaseCaPem: selfManaged ? fake("db-ca") : undefined,
                databaseCertPem: selfManaged ? fake(`${key}-tls-cert`) : undefined,
            },
            key,
        );
    const render = (key: string) => renderService(context, byKey(topology, key));
    return {
        file(key: string, file: string): string {
            const found = render(key).files.find((f) => f.path === file);
            assert.ok(found, `${key} renders no ${file}`);
            return "content" in found ? found.content : found.withSecrets(secret(key));
        },
        env: (key: string) => renderEnvFile(render(key).env ?? []),
    };
}

export interface SecretsManifest {
    readonly region: string;
    readonly parameters: Record<string, string>;
    readonly files: Array<{ path: string; owner: string; group: string; mode: string }>;
}

export const manifestOf = (config: CloudConfig): SecretsManifest => JSON.parse(writtenFile(config, "/etc/foobar/secrets.json"));

/** Every security group rule as "direction group port peer" (peer "sg:<group>" or a CIDR), sorted: registration order follows output resolution. */
export function sgRules(run: StackRun<Outputs>, prefix: string): string[] {
    const groupOfId = new Map(byType(run.resources, AWS_TYPES.securityGroup).map((g) => [`${g.name}-id`, g.name.slice(prefix.length + 1)]));
    const group = (id: string) => {
        const found = groupOfId.get(id);
        assert.ok(found, `no security group has id ${id}`);
        return found;
    };
    return (["ingress", "egress"] as const)
        .flatMap((direction) =>
            byType(run.resources, AWS_TYPES[direction]).map((r) => {
                const { securityGroupId, referencedSecurityGroupId, cidrIpv4, fromPort, toPort, ipProtocol } = r.inputs;
                // TCP with one port, UDP with one port (Alertmanager's gossip, shown "udp/<port>"), or VRRP
                // (IP protocol 112, no ports: a Galera cluster's keepalived), shown as "vrrp".
                if (ipProtocol === "112") assert.deepEqual([fromPort, toPort], [undefined, undefined], r.name);
                else assert.ok(ipProtocol === "tcp" || ipProtocol === "udp", `${r.name}: protocol ${ipProtocol}`);
                assert.equal(fromPort, toPort, r.name);
                assert.ok((referencedSecurityGroupId === undefined) !== (cidrIpv4 === undefined), `${r.name}: exactly one peer`);
                const peer = cidrIpv4 ?? `sg:${group(referencedSecurityGroupId)}`;
                const port = ipProtocol === "112" ? "vrrp" : ipProtocol === "udp" ? `udp/${fromPort}` : fromPort;
                return `${direction} ${group(securityGroupId)} ${port} ${peer}`;
            }),
        )
        .sort();
}

/** The generated passwords and private keys of a run: what must never ride in user data. */
export function generatedSecrets(run: StackRun<Outputs>): { passwords: Record<string, string>; keys: string[] } {
    const passwords = Object.fromEntries(byType(run.resources, TYPES.password).map((p) => [p.name, p.state.result as string]));
    const keys = byType(run.resources, TYPES.privateKey).map((k) => k.state.privateKeyPem as string);
    return { passwords, keys };
}

/** The ARNs an instance role's inline policy allows ssm:GetParameter on. */
export function policyResources(run: StackRun<Outputs>, prefix: string, server: string): string[] {
    const policy = findResource(run.resources, AWS_TYPES.rolePolicy, `${prefix}-${server}-parameters`);
    assert.equal(policy.inputs.role, `${prefix}-${server}-id`);
    const doc = JSON.parse(policy.inputs.policy as string);
    assert.equal(doc.Statement.length, 1);
    assert.deepEqual([doc.Statement[0].Effect, doc.Statement[0].Action], ["Allow", ["ssm:GetParameter"]]);
    return doc.Statement[0].Resource as string[];
}

export const parameterArn = (run: StackRun<Outputs>, prefix: string, key: string): string =>
    findResource(run.resources, AWS_TYPES.parameter, `${prefix}-${key}`).state.arn as string;

/** The aws block every resolved configuration carries, with nothing set under foobar:aws. */
export const DEFAULT_AWS_RESOLVED = {
    vpcCidr: "10.0.0.0/16",
    existingVpc: undefined,
    privateSubnets: false,
    amiId: undefined,
    amiOwner: "136693071363",
    instanceTypes: { lb: "t3.small", web: "t3.micro" },
    adminCidr: undefined,
    flowLogRetentionDays: 90,
    alarmEmail: undefined,
    databaseVolumeGb: 20,
    snapshotRetentionDays: 7,
    restoreDatabaseVolumes: [],
    rds: {
        deployment: "instance",
        instanceClass: "db.t4g.micro",
        allocatedStorageGb: 20,
        multiAz: false,
        backupRetentionDays: 7,
        deletionProtection: false,
        finalSnapshot: false,
    },
};
