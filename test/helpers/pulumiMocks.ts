// One mock harness for every test: runs the real program under pulumi.runtime.setMocks, records
// every resource with its resolved inputs, and hands back material the running site can use.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { isDeepStrictEqual } from "util";
import * as pulumi from "@pulumi/pulumi";
import * as bcrypt from "bcryptjs";
import * as yaml from "js-yaml";
import { certRequestPem, locallySignedCertPem, privateKeyPem, selfSignedCertPem } from "./tlsMaterial";

/**
 * Resource inputs and outputs as the mock monitor hands them over: untyped JSON-like values (the
 * SDK's own MockResourceArgs.inputs is `any`), which tests and the live deployer index freely.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped engine data, as in the SDK's MockResourceArgs
export type Props = Record<string, any>;

/** The resource options the engine receives with a registration (RegisterResourceRequest). */
export interface RecordedOptions {
    readonly parent: string;
    /** URNs of every resource this one depends on: dependsOn and the resources its inputs came from. */
    readonly dependencies: readonly string[];
    /** Per input, the URNs of the resources its value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
    readonly deleteBeforeReplace: boolean;
    readonly retainOnDelete: boolean;
    readonly protect: boolean;
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
}

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    readonly options: RecordedOptions;
    /** Resolved inputs, secrets unwrapped to their values. */
    readonly inputs: Props;
    readonly state: Props;
    /** Paths of the inputs that arrived as secrets, e.g. "uploads[1].content". */
    readonly secretPaths: readonly string[];
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The mock monitor hands secrets over wrapped; unwrap them and remember where they were. */
function unwrapSecrets(value: unknown, at: string, secretPaths: string[]): unknown {
    if (Array.isArray(value)) return value.map((v, i) => unwrapSecrets(v, `${at}[${i}]`, secretPaths));
    if (value === null || typeof value !== "object") return value;
    const wrapped = value as Props;
    if (wrapped[SECRET_SIG_KEY] === SECRET_SIG) {
        secretPaths.push(at);
        return unwrapSecrets(wrapped.value, at, []);
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v, at ? `${at}.${k}` : k, secretPaths)]));
}

/** The RegisterResourceRequest accessors read here (google-protobuf's generated getters). */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(f: (deps: { getUrnsList(): string[] }, key: string) => void): void };
    getDeletebeforereplace(): boolean;
    getRetainondelete(): boolean;
    getProtect(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
}
interface MockMonitorInternals {
    registerResource(req: RegisterRequest, callback: unknown): unknown;
    newUrn(parent: string, type: string, name: string): string;
}

/**
 * Records the options of every registration as the engine receives them: the mock monitor hands
 * mocks only the type, name and inputs. Keyed by type and name, read by newResource.
 */
function recordOptions(into: Map<string, { urn: string; options: RecordedOptions }>): void {
    const monitor = (pulumi.runtime as unknown as { getMonitor(): MockMonitorInternals }).getMonitor();
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => (propertyDependencies[key] = deps.getUrnsList()));
        into.set(`${req.getType()}::${req.getName()}`, {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
            options: {
                parent: req.getParent(),
                dependencies: req.getDependenciesList(),
                propertyDependencies,
                deleteBeforeReplace: req.getDeletebeforereplace(),
                retainOnDelete: req.getRetainondelete(),
                protect: req.getProtect(),
                ignoreChanges: req.getIgnorechangesList(),
                replaceOnChanges: req.getReplaceonchangesList(),
            },
        });
        return register(req, callback);
    };
}

/**
 * What the engine does with a resource already in the state (`previous`, the same URN): ignored
 * inputs keep their old values; unchanged inputs keep the old outputs (a "same" step, so random
 * passwords and keys stay); a Stash keeps the value it first stored.
 * https://www.pulumi.com/docs/iac/concepts/stash/
 */
function fromState(
    previous: RecordedResource | undefined,
    inputs: Props,
    ignoreChanges: readonly string[],
): { inputs: Props; state?: Props } {
    if (!previous) return { inputs };
    const kept = { ...inputs };
    for (const key of ignoreChanges) {
        if (key.includes(".") || key.includes("[")) throw new Error(`mock: ignoreChanges path ${key} is not modelled`);
        if (key in previous.inputs) kept[key] = previous.inputs[key];
        else delete kept[key];
    }
    if (previous.type === STASH) return { inputs: kept, state: { ...kept, output: previous.state.output } };
    return { inputs: kept, state: isDeepStrictEqual(kept, previous.inputs) ? previous.state : undefined };
}

const STASH = "pulumi:index:Stash";

/** "fake": placeholder PEMs, fast, for unit tests. "real": real keys, certificates and passwords. */
export type Material = "fake" | "real";

export const FOOBAR_COMPONENT = "foobar:index:FoobarInfra";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomPassword(inputs: Props): string {
    if (inputs.special !== false) throw new Error("random mock: only special=false passwords are modelled");
    const bytes = crypto.randomBytes(inputs.length);
    return [...bytes].map((b) => ALNUM[b % ALNUM.length]).join("");
}

function fakePem(label: string, name: string): string {
    return `-----BEGIN ${label}-----\nFAKE-${name}\n-----END ${label}-----\n`;
}

/** Outputs each resource type adds to its inputs; any other type is an error, never a guess. */
function outputsFor(type: string, name: string, inputs: Props, material: Material): Props {
    const real = material === "real";
    switch (type) {
        case "random:index/randomPassword:RandomPassword": {
            // As the provider does: the value and its bcrypt hash (cost 10).
            const result = randomPassword(inputs);
            return { result, bcryptHash: bcrypt.hashSync(result, real ? 10 : 4) };
        }
        case "random:index/randomId:RandomId": {
            const bytes = crypto.randomBytes(Number(inputs.byteLength));
            return {
                hex: bytes.toString("hex"),
                b64Url: bytes.toString("base64url"),
                dec: BigInt(`0x${bytes.toString("hex")}`).toString(),
            };
        }
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: real ? privateKeyPem(inputs) : fakePem("EC PRIVATE KEY", name) };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { certPem: real ? selfSignedCertPem(inputs) : fakePem("CERTIFICATE", name) };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: real ? certRequestPem(inputs) : fakePem("CERTIFICATE REQUEST", name) };
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: real ? locallySignedCertPem(inputs) : fakePem("CERTIFICATE", name) };
        case STASH:
            // Created now: the stash holds what it was given (fromState keeps it afterwards).
            return { output: inputs.input };
        case "docker:index/image:Image":
            // A local build is referred to by its name: the deployer tags its build with it.
            return { repoDigest: inputs.imageName };
        case "docker:index/network:Network":
        case "docker:index/volume:Volume":
        case "docker:index/container:Container":
            return {};
        default:
            if (type in AWS_OUTPUTS) return AWS_OUTPUTS[type](name, inputs);
            throw new Error(`mock: resource type ${type} (${name}) is not modelled; add it to test/helpers/pulumiMocks.ts`);
    }
}

const arn = (service: string, what: string) => `arn:aws:${service}:eu-west-1:123456789012:${what}`;

/** What AWS computes for each resource type the program creates; anything else is an error. */
const AWS_OUTPUTS: Record<string, (name: string, inputs: Props) => Props> = {
    "aws:ec2/vpc:Vpc": () => ({}),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": () => ({}),
    "aws:ec2/subnet:Subnet": () => ({}),
    "aws:ec2/internetGateway:InternetGateway": () => ({}),
    "aws:ec2/routeTable:RouteTable": () => ({}),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": () => ({}),
    "aws:ec2/route:Route": () => ({}),
    "aws:ec2/natGateway:NatGateway": () => ({}),
    // A single load balancer's Elastic IP is 203.0.113.10; an NLB's, one per zone (<prefix>-nlb-a, -b), .11 and .12.
    "aws:ec2/eip:Eip": (name) => {
        const zone = /-nlb-([a-z])$/.exec(name)?.[1];
        const host = zone === undefined ? 10 : 11 + zone.charCodeAt(0) - "a".charCodeAt(0);
        return { publicIp: `203.0.113.${host}`, allocationId: `eipalloc-${name}` };
    },
    "aws:ec2/eipAssociation:EipAssociation": () => ({}),
    "aws:ec2/securityGroup:SecurityGroup": (name) => ({ arn: arn("ec2", `security-group/${name}`) }),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": () => ({}),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": () => ({}),
    "aws:ec2/instance:Instance": () => ({}),
    "aws:ssm/parameter:Parameter": (_name, inputs) => ({ arn: arn("ssm", `parameter${inputs.name}`) }),
    "aws:iam/role:Role": (name) => ({ arn: `arn:aws:iam::123456789012:role/${name}`, name }),
    "aws:iam/rolePolicy:RolePolicy": () => ({}),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": () => ({}),
    "aws:iam/instanceProfile:InstanceProfile": (name) => ({ arn: `arn:aws:iam::123456789012:instance-profile/${name}`, name }),
    "aws:rds/subnetGroup:SubnetGroup": (name) => ({ name }),
    "aws:rds/parameterGroup:ParameterGroup": (name) => ({ name }),
    "aws:cloudwatch/logGroup:LogGroup": (_name, inputs) => ({ arn: arn("logs", `log-group:${inputs.name}`) }),
    "aws:ec2/flowLog:FlowLog": () => ({}),
    "aws:rds/optionGroup:OptionGroup": (name) => ({ name }),
    "aws:rds/instance:Instance": (name) => ({ identifier: name, address: `${name}.abcdefghijkl.eu-west-1.rds.amazonaws.com`, port: 3306 }),
    // A Multi-AZ DB cluster: its writer (cluster) endpoint and its reader endpoint, "-ro" in the name.
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (name) => ({ name }),
    "aws:rds/cluster:Cluster": (name) => ({
        clusterIdentifier: name,
        arn: arn("rds", `cluster:${name}`),
        endpoint: `${name}.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com`,
        readerEndpoint: `${name}.cluster-ro-abcdefghijkl.eu-west-1.rds.amazonaws.com`,
        port: 3306,
        // Its three DB instances, which RDS creates and names itself (the alarms watch each).
        clusterMembers: [1, 2, 3].map((i) => `${name}-instance-${i}`),
    }),
    "aws:ebs/volume:Volume": (name) => ({ arn: arn("ec2", `volume/${name}`) }),
    // The provider names a load balancer and a target group after the resource (here without the random suffix).
    "aws:lb/loadBalancer:LoadBalancer": (name) => ({
        arn: arn("elasticloadbalancing", `loadbalancer/net/${name}/0123456789abcdef`),
        dnsName: `${name}-0123456789abcdef.elb.eu-west-1.amazonaws.com`,
        name,
    }),
    "aws:lb/targetGroup:TargetGroup": (name) => ({ arn: arn("elasticloadbalancing", `targetgroup/${name}/0123456789abcdef`), name }),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": () => ({}),
    "aws:lb/listener:Listener": (name) => ({ arn: arn("elasticloadbalancing", `listener/net/${name}/0123456789abcdef/fedcba9876543210`) }),
    "aws:ec2/volumeAttachment:VolumeAttachment": () => ({}),
    "aws:dlm/lifecyclePolicy:LifecyclePolicy": (name) => ({ arn: arn("dlm", `policy/${name}`) }),
    // The provider names a bucket after its resource, with a random suffix (here a fixed one); S3's ARNs name no region or account.
    "aws:s3/bucket:Bucket": (name, inputs) => {
        const bucket = inputs.bucket ?? `${name}-20261101`;
        return { bucket, arn: `arn:aws:s3:::${bucket}` };
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": () => ({}),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": () => ({}),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": () => ({}),
    "aws:s3/bucketPolicy:BucketPolicy": () => ({}),
    "aws:s3/bucketObjectv2:BucketObjectv2": (_name, inputs) => ({
        etag: crypto
            .createHash("md5")
            .update(inputs.content ?? "")
            .digest("hex"),
    }),
    // The alarms (components/platforms/aws/alarms.ts), named by their inputs, and the alert topic, named
    // after its resource (here without the random suffix), with its KMS key and subscriptions.
    "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs) => ({ arn: arn("cloudwatch", `alarm:${inputs.name ?? name}`) }),
    "aws:sns/topic:Topic": (name) => ({ arn: arn("sns", name), name }),
    "aws:sns/topicSubscription:TopicSubscription": (_name, inputs) => ({ arn: `${inputs.topic}:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0` }),
    "aws:kms/key:Key": () => ({
        arn: arn("kms", "key/1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809"),
        keyId: "1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809",
    }),
    "aws:kms/keyPolicy:KeyPolicy": () => ({}),
    // The readiness gate (components/platforms/aws/readiness.ts): a dynamic resource whose outputs are its inputs.
    "pulumi-nodejs:dynamic/foobar:InstanceReadiness": () => ({}),
};

/** The Debian AMI lookup, answered only for exactly the query the program is meant to make. */
export const DEBIAN_AMI_QUERY = {
    mostRecent: true,
    owners: ["136693071363"],
    filters: [
        { name: "name", values: ["debian-12-amd64-*"] },
        { name: "architecture", values: ["x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
    ],
};
export const MOCK_AMI_ID = "ami-0d3b1e2a4c5f60718";

function callResult(token: string, inputs: Props, newestAmi: string): Props {
    switch (token) {
        case "aws:ec2/getAmi:getAmi": {
            if (!isDeepStrictEqual(inputs, DEBIAN_AMI_QUERY)) throw new Error(`mock: unexpected AMI query ${JSON.stringify(inputs)}`);
            return { id: newestAmi, name: "debian-12-amd64-20261101-1234", ownerId: "136693071363", architecture: "x86_64" };
        }
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
            return { id: "eu-west-1", names: ["eu-west-1a", "eu-west-1b", "eu-west-1c"], zoneIds: ["euw1-az1", "euw1-az2", "euw1-az3"] };
        default:
            throw new Error(`mock: unexpected call ${token}`);
    }
}

export interface StackRun<T> {
    readonly resources: RecordedResource[];
    /** Every provider function the program called, with its inputs. */
    readonly calls: Array<{ token: string; inputs: Props }>;
    readonly outputs: T;
}

/**
 * Sets the stack config (full keys, e.g. "foobar:webServers"; objects are JSON-encoded as the
 * engine does), runs `program` under mocks and waits until every resource is registered.
 */
export async function runUnderMocks<T>(
    config: Record<string, unknown>,
    program: () => T,
    options: {
        material?: Material;
        stack?: string;
        secretKeys?: readonly string[];
        /** The stack's state from an earlier run: resources already deployed (see fromState). */
        previous?: readonly RecordedResource[];
        /** The image Debian published last: what a `mostRecent` AMI lookup returns today. */
        newestAmi?: string;
    } = {},
): Promise<StackRun<T>> {
    const resources: RecordedResource[] = [];
    const calls: Array<{ token: string; inputs: Props }> = [];
    // The SDK only logs a failed registration (and any output depending on it never resolves);
    // caught here, the run fails with it instead.
    let fail: (err: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => undefined); // awaited below; no unhandled rejection before then
    const material = options.material ?? "fake";
    // As the engine hands config over: every value as text, and the keys `pulumi config set --secret` made secret.
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        [...(options.secretKeys ?? [])],
    );
    const registrations = new Map<string, { urn: string; options: RecordedOptions }>();
    const previous = new Map((options.previous ?? []).map((r) => [r.urn, r]));
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                const secretPaths: string[] = [];
                const registration = registrations.get(`${args.type}::${args.name}`);
                if (!registration) throw new Error(`mock: no registration recorded for ${args.type} ${args.name}`);
                const given = unwrapSecrets(args.inputs, "", secretPaths) as Props;
                const { urn, options: recorded } = registration;
                const { inputs, state: kept } = fromState(previous.get(urn), given, recorded.ignoreChanges);
                let state: Props;
                try {
                    state = kept ?? {
                        ...inputs,
                        ...(args.type === FOOBAR_COMPONENT ? {} : outputsFor(args.type, args.name, inputs, material)),
                    };
                } catch (err) {
                    fail(err);
                    throw err;
                }
                resources.push({ type: args.type, name: args.name, urn, options: recorded, inputs, state, secretPaths });
                return { id: `${args.name}-id`, state };
            },
            call(args) {
                calls.push({ token: args.token, inputs: args.inputs });
                return callResult(args.token, args.inputs, options.newestAmi ?? MOCK_AMI_ID);
            },
        },
        "foobar-infra",
        options.stack ?? "dev",
        false,
    );
    recordOptions(registrations);
    // An error thrown in an apply fails the registrations waiting on it; the SDK rethrows it as an
    // unhandled rejection (what the engine's language host reports), which fails the run here.
    const onRejection = (err: unknown) => fail(err);
    process.on("unhandledRejection", onRejection);
    try {
        return await runProgram(program, failed, resources, calls);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

async function runProgram<T>(
    program: () => T,
    failed: Promise<never>,
    resources: RecordedResource[],
    calls: Array<{ token: string; inputs: Props }>,
): Promise<StackRun<T>> {
    const outputs = program();
    await Promise.race([unwrap(outputs), failed]);
    // Registrations whose inputs are not in the outputs are still in flight; the SDK exports the wait
    // at runtime but not in its typings.
    await Promise.race([(pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), failed]);
    // A failure after the last wait began still fails the run.
    await Promise.race([failed, Promise.resolve()]);
    return { resources, calls, outputs };
}

/** Resolves every Output inside a value (objects and arrays included). */
export async function unwrap<T>(value: T): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(value).apply((v) => resolve(v as pulumi.Unwrap<T>)));
}

/** The `config:` block of a Pulumi.<stack>.yaml, as full keys. */
export function loadStackConfig(stack: string, root = path.join(__dirname, "..", "..")): Record<string, unknown> {
    const doc = yaml.load(fs.readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Record<string, unknown> };
    return doc.config ?? {};
}

export function byType(resources: readonly RecordedResource[], type: string): RecordedResource[] {
    return resources.filter((r) => r.type === type);
}

export function findResource(resources: readonly RecordedResource[], type: string, name: string): RecordedResource {
    const found = resources.find((r) => r.type === type && r.name === name);
    if (!found) throw new Error(`no ${type} named ${name}; have: ${resources.map((r) => r.name).join(", ")}`);
    return found;
}

export const TYPES = {
    container: "docker:index/container:Container",
    network: "docker:index/network:Network",
    volume: "docker:index/volume:Volume",
    image: "docker:index/image:Image",
    password: "random:index/randomPassword:RandomPassword",
    privateKey: "tls:index/privateKey:PrivateKey",
    selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
    certRequest: "tls:index/certRequest:CertRequest",
    locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
} as const;
