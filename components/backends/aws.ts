// The aws platform: one EC2 instance per server, booted by cloud-init with the same rendered
// configs as the docker platform; secrets in SSM Parameter Store; optionally RDS. Thin: layout
// from awsPlan, boot steps from awsBoot, files from the shared renderers.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { appBundle } from "../appBundle";
import { AwsPlan, planAws } from "../awsPlan";
import { ManagedBootstrap, ResolvedService, bootConfig } from "../awsBoot";
import { Credentials } from "../credentials";
import { compressUserData, placeholdersIn, renderCloudConfig, secretPlaceholder } from "../render/cloudInit";
import { renderPrimaryBootstrap } from "../render/mariadb";
import { PlatformView, renderService } from "../services";
import { APP_DB_USER, DATABASE_NAME, MANAGED_SERVER, PORTS, Topology, service } from "../topology";
import { createNetwork } from "./awsNetwork";
import { createDatabase } from "./awsDatabase";
import { DEFAULT_AWS } from "../config/awsArgs";

export const SECRET_KEYS = {
    appPassword: "db-app-password",
    replicationPassword: "db-replication-password",
    monitorPassword: "db-monitor-password",
    tlsKey: "tls-private-key",
    rdsAdminPassword: "rds-admin-password",
} as const;
const RDS_ADMIN_USER = "foobar_admin";

export interface AwsDeployment {
    readonly plan: AwsPlan;
    readonly publicIp: pulumi.Output<string>;
    readonly instances: ReadonlyMap<string, aws.ec2.Instance>;
    readonly writerEndpoint: pulumi.Output<string>;
    readonly readerEndpoints: pulumi.Output<string[]>;
    readonly parameterNames: pulumi.Output<string[]>;
}

/** MariaDB/MySQL host pattern for the whole VPC range, in the address/netmask form both accept. */
function hostPatternOf(cidr: string): string {
    const [base, prefix] = cidr.split("/");
    const mask = Number(prefix) === 0 ? 0 : (0xffffffff << (32 - Number(prefix))) >>> 0;
    return `${base}/${[24, 16, 8, 0].map((s) => (mask >>> s) & 255).join(".")}`;
}

const tagsOf = (name: string) => ({ "foobar:stack": name, "managed-by": "pulumi" });

/**
 * The load balancer's Elastic IP, allocated before anything else so the site certificate can name
 * it; deployAws associates it with the load balancer's instance.
 */
export function allocatePublicAddress(name: string, parent: pulumi.Resource): aws.ec2.Eip {
    return new aws.ec2.Eip(`${name}-lb`, { domain: "vpc", tags: { ...tagsOf(name), Name: `${name}-lb` } }, { parent });
}

export function deployAws(
    name: string,
    stack: string,
    region: string,
    topology: Topology,
    credentials: Credentials,
    publicAddress: aws.ec2.Eip,
    parent: pulumi.Resource,
): AwsDeployment {
    const plan = planAws(topology);
    const opts = { parent };
    const tags = tagsOf(name);
    const network = createNetwork(name, plan, tags, parent);
    const managed = topology.args.database.mode === "managed";

    // Secrets live in SSM Parameter Store; user data only carries placeholders for them.
    const values: Record<string, pulumi.Output<string>> = {
        [SECRET_KEYS.appPassword]: credentials.appPassword,
        [SECRET_KEYS.tlsKey]: credentials.privateKeyPem,
    };
    // RDS replicates by itself: no replication user, so no password for one.
    if (credentials.replicationPassword) values[SECRET_KEYS.replicationPassword] = credentials.replicationPassword;
    if (credentials.monitorPassword) values[SECRET_KEYS.monitorPassword] = credentials.monitorPassword;
    if (managed) {
        values[SECRET_KEYS.rdsAdminPassword] = pulumi.secret(
            new random.RandomPassword(`${name}-rds-admin-password`, { length: 32, special: false }, opts).result,
        );
    }
    const parameterNames = Object.fromEntries(Object.keys(values).map((key) => [key, `/foobar/${stack}/${key}`]));
    const parameters = new Map(
        Object.entries(values).map(([key, value]) => [
            key,
            new aws.ssm.Parameter(`${name}-${key}`, { name: parameterNames[key], type: "SecureString", value, tags }, opts),
        ]),
    );

    const database = managed
        ? createDatabase(name, plan, topology, network, values[SECRET_KEYS.rdsAdminPassword], RDS_ADMIN_USER, tags, parent)
        : undefined;
    const ami = plan.aws.amiId
        ? pulumi.output(plan.aws.amiId)
        : aws.ec2.getAmiOutput(
              {
                  mostRecent: true,
                  owners: [plan.aws.amiOwner],
                  filters: [
                      { name: "name", values: [DEFAULT_AWS.amiNamePattern] },
                      { name: "architecture", values: ["x86_64"] },
                      { name: "virtualization-type", values: ["hvm"] },
                  ],
              },
              opts,
          ).id;

    const placeholders: Credentials = {
        appPassword: pulumi.output(secretPlaceholder(SECRET_KEYS.appPassword)),
        replicationPassword: pulumi.output(secretPlaceholder(SECRET_KEYS.replicationPassword)),
        monitorPassword: pulumi.output(secretPlaceholder(SECRET_KEYS.monitorPassword)),
        privateKeyPem: pulumi.output(secretPlaceholder(SECRET_KEYS.tlsKey)),
        // The certificate is public: it rides in user data; only its key is fetched at boot.
        certificatePem: pulumi.unsecret(credentials.certificatePem),
        caCertificatePem: credentials.caCertificatePem,
    };
    const endpoints = database
        ? pulumi.all([database.writer.address, ...database.readers.map((r) => r.address)])
        : pulumi.output([] as string[]);

    const instances = new Map<string, aws.ec2.Instance>();
    for (const server of topology.servers) {
        const instance = plan.instance(server.name);
        const boot = renderBoot({ topology, plan, server: server.name, region, placeholders, endpoints, parameterNames, managed });
        const role = instanceRole(name, server.name, boot.keys, parameters, tags, parent);
        instances.set(
            server.name,
            new aws.ec2.Instance(
                `${name}-${server.name}`,
                {
                    ami,
                    instanceType: instance.instanceType,
                    subnetId: network.subnetIds.get(instance.subnet) as pulumi.Input<string>,
                    privateIp: instance.privateIp,
                    associatePublicIpAddress: instance.publicIp,
                    vpcSecurityGroupIds: instance.securityGroups.map((g) => network.securityGroupIds.get(g) as pulumi.Output<string>),
                    iamInstanceProfile: role.name,
                    userDataBase64: boot.userData,
                    userDataReplaceOnChange: true,
                    // IMDSv2 only, one hop: containers on the host cannot borrow the instance role.
                    metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
                    rootBlockDevice: { volumeType: "gp3", volumeSize: 16, encrypted: true, deleteOnTermination: true },
                    tags: { ...tags, Name: `${name}-${server.name}`, "foobar:server": server.name, "foobar:role": server.role },
                },
                { parent, dependsOn: database ? [database.writer] : [] },
            ),
        );
    }
    new aws.ec2.EipAssociation(
        `${name}-lb`,
        { allocationId: publicAddress.allocationId, instanceId: (instances.get(topology.lbServer) as aws.ec2.Instance).id },
        opts,
    );
    return {
        plan,
        publicIp: publicAddress.publicIp,
        instances,
        writerEndpoint: database
            ? pulumi.interpolate`${database.writer.address}:${PORTS.mysql}`
            : pulumi.output(`${plan.instance(service(topology, topology.primary).server).privateIp}:${PORTS.mysql}`),
        readerEndpoints: database
            ? pulumi.all(database.readers.map((r) => pulumi.interpolate`${r.address}:${PORTS.mysql}`))
            : pulumi.output(topology.replicas.map((r) => `${plan.instance(service(topology, r).server).privateIp}:${PORTS.mysql}`)),
        parameterNames: pulumi.output(Object.values(parameterNames)),
    };
}

/**
 * An instance's user data (gzipped cloud-config, base64) and the secret keys its files hold, once
 * the database endpoints and the certificate are known. Everything in it comes from the shared
 * renderers through renderService, with placeholders where secrets go.
 */
function renderBoot(o: {
    topology: Topology;
    plan: AwsPlan;
    server: string;
    region: string;
    placeholders: Credentials;
    endpoints: pulumi.Output<string[]>;
    parameterNames: Record<string, string>;
    managed: boolean;
}): pulumi.Output<{ userData: string; keys: string[] }> {
    const { topology, plan, server } = o;
    return pulumi.all([o.endpoints, o.placeholders.certificatePem]).apply(([dbHosts, certificate]) => {
        const view = awsView(topology, plan, dbHosts);
        const credentials = { ...o.placeholders, certificatePem: pulumi.output(certificate) };
        const rendered = topology.services
            .filter((svc) => svc.server === server)
            .map((svc) => ({ kind: svc.kind, out: renderService(topology, svc, credentials, view) }));
        const contents = pulumi.all(rendered.map((r) => pulumi.all(r.out.files.map((f) => pulumi.output(f.content)))));
        return contents.apply((texts) => {
            const services: ResolvedService[] = rendered.map((r, i) => ({
                kind: r.kind,
                files: r.out.files.map((f, j) => ({ path: f.path, content: texts[i][j] })),
                env: r.out.env,
            }));
            const bootstrap = server === topology.lbServer && o.managed ? managedBootstrap(plan, dbHosts[0]) : undefined;
            const config = bootConfig({
                hostname: server,
                region: o.region,
                services,
                bundle: appBundle(),
                parameters: o.parameterNames,
                managed: bootstrap,
            });
            // The instance may read exactly the secrets its own files hold.
            const keys = [...new Set(config.files.flatMap((f) => placeholdersIn(f.content)))].sort();
            return { userData: compressUserData(renderCloudConfig(config)).toString("base64"), keys };
        });
    });
}

/** How services see each other on EC2: loopback on one instance, private addresses across. */
export function awsView(topology: Topology, plan: AwsPlan, databaseHosts: readonly string[]): PlatformView {
    const managedHost = (key: string) => (key === topology.primary ? databaseHosts[0] : databaseHosts[1 + topology.replicas.indexOf(key)]);
    return {
        reach(from, to) {
            const [a, b] = [service(topology, from), service(topology, to)];
            if (b.server === MANAGED_SERVER) return managedHost(to);
            // MariaDB users accept the VPC range only, so even a local replica is reached on the
            // private address (the kernel still keeps that traffic on the instance).
            const local = a.server === b.server && !b.kind.startsWith("mariadb");
            return local ? "127.0.0.1" : plan.instance(b.server).privateIp;
        },
        // nginx is on the same instance: the app need not listen beyond loopback.
        appListenHost: "127.0.0.1",
        statsAddress: plan.instance(topology.lbServer).privateIp,
        publicHttpsPort: PORTS.https,
        databaseClientHost: hostPatternOf(plan.aws.vpcCidr),
    };
}

function managedBootstrap(plan: AwsPlan, writerHost: string): ManagedBootstrap {
    return {
        writerHost,
        adminUser: RDS_ADMIN_USER,
        adminPasswordPlaceholder: secretPlaceholder(SECRET_KEYS.rdsAdminPassword),
        sql: renderPrimaryBootstrap({
            database: DATABASE_NAME,
            appUser: APP_DB_USER,
            appPassword: secretPlaceholder(SECRET_KEYS.appPassword),
            clientHost: hostPatternOf(plan.aws.vpcCidr),
            authPlugin: "mysql_native_password",
        }),
    };
}

function instanceRole(
    name: string,
    server: string,
    keys: pulumi.Output<string[]>,
    parameters: ReadonlyMap<string, aws.ssm.Parameter>,
    tags: Record<string, string>,
    parent: pulumi.Resource,
) {
    const opts = { parent };
    const role = new aws.iam.Role(
        `${name}-${server}`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        },
        opts,
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-${server}-ssm-core`,
        { role: role.name, policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
        opts,
    );
    const arns = keys.apply((ks) => pulumi.all(ks.map((k) => (parameters.get(k) as aws.ssm.Parameter).arn)));
    new aws.iam.RolePolicy(
        `${name}-${server}-parameters`,
        {
            role: role.id,
            policy: arns.apply((resources) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Action: ["ssm:GetParameter"], Resource: resources }],
                }),
            ),
        },
        opts,
    );
    return new aws.iam.InstanceProfile(`${name}-${server}`, { role: role.name, tags }, opts);
}
