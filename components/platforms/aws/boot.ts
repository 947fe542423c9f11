// An instance's user data: the generic VM boot (components/vm/boot.ts) of the services on its
// server, with SSM placeholders for the secrets, the app bundle fetched from S3 (artifacts.ts) and,
// in managed mode, the RDS bootstrap.
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../../credentials";
import { databaseHostPattern } from "../../config/net";
import { DATABASE_CA_PATH, renderPrimaryBootstrap } from "../../render/mariadb";
import { HAPROXY_CONFIG_PATH } from "../../render/haproxy";
import { lines } from "../../render/text";
import { renderService } from "../../services";
import { APP_DB_USER, DATABASE_NAME, ServerPlan, Topology } from "../../topology";
import { BootSteps, BundleDelivery, VmService, bootSteps, bundleOf, secretOwner } from "../../vm/boot";
import { packagePath } from "../../packageRoot";
import { shippedFile } from "../../vm/shippedFile";
import {
    SECRETS_HELPER_PATH,
    compressUserData,
    placeholdersIn,
    renderCloudConfig,
    secretPlaceholder,
    withoutComments,
} from "../../vm/cloudInit";
import { PROMETHEUS_RULES_PATH } from "../../render/prometheus";
import { ArtifactLocation, artifactDelivery } from "./artifacts";
import { AwsPlan } from "./plan";
import { RDS_ADMIN_PASSWORD_KEY, RDS_ADMIN_USER, placeholderLookup, placeholderOf } from "./secrets";
import { dataDevicePaths } from "./storage";
import { awsView } from "./view";
import { writeRouteFiles } from "./writeAddress";

export const RDS_BOOTSTRAP_PATH = "/etc/foobar/rds-bootstrap.sql";
export const RDS_CLIENT_CONFIG_PATH = "/etc/foobar/rds-admin.cnf";
/** What `foobar-secrets --ready` reads: the readiness parameter and the health checks to pass first. */
export const READY_CONFIG_PATH = "/etc/foobar/ready.json";
/** How long the boot waits for its services' health checks before giving up (under READINESS_TIMEOUT_MINUTES). */
const READY_CHECK_SECONDS = 900;
const ROOT_ONLY = { owner: "root", group: "root", mode: "0400" };

/**
 * The boot helper that fills the placeholders in from SSM (read once), as in the repository but for
 * its comment lines (the shebang stays): its documentation stays there, and out of user data, which
 * EC2 limits to 16 KiB.
 */
export const secretsHelper = (): string => withoutComments(shippedFile(packagePath("components/platforms/aws/files/foobar-secrets.py")));

export interface BootInput {
    readonly topology: Topology;
    readonly plan: AwsPlan;
    readonly server: ServerPlan;
    readonly region: string;
    /** The stack's credentials: the public ones ride in user data, the secrets are fetched at boot. */
    readonly credentials: Credentials;
    /** RDS endpoints, the primary first; none when self-managed. */
    readonly databaseHosts: pulumi.Output<string[]>;
    /** key -> SSM parameter name. */
    readonly parameterNames: Readonly<Record<string, string>>;
    /** Self-managed database servers: the id of the EBS volume its data lives on (storage.ts). */
    readonly dataVolumeId?: pulumi.Output<string>;
    /** Web servers, and a pair's load balancers: the SSM parameter the boot writes the instance id to once it serves (readiness.ts). */
    readonly readinessParameter?: string;
    /** Servers with the app or nginx, or with Prometheus: the stack's bundle in S3 they read (artifacts.ts), which their boot fetches. */
    readonly artifact?: ArtifactLocation;
    /** A Galera node: the route tables its role hook moves the write address's route in (writeAddress.ts). */
    readonly writeRouteTables?: pulumi.Output<string[]>;
}

/** The user data (gzipped cloud-config, base64) and the SSM keys its files hold: exactly what the instance may read. */
export function renderBoot(input: BootInput): pulumi.Output<{ userData: string; keys: string[] }> {
    const { topology, plan, server } = input;
    const { credentials } = input;
    // The public material this instance's files may hold, resolved: the certificates ride as they are.
    const own = server.services.flatMap((s) => (credentials.database?.servers.get(s.key) ? [s.key] : []));
    const ownCerts = pulumi.all(own.map((key) => credentials.database?.servers.get(key)?.certPem ?? ""));
    const material = pulumi.all([credentials.certificatePem, credentials.database?.caPem ?? pulumi.output(undefined), ownCerts]);
    const volumeId = input.dataVolumeId ?? pulumi.output(undefined);
    const bundle = bundleOf(server.services);
    if (bundle && !input.artifact) throw new Error(`${server.name} reads the ${bundle} bundle: it needs its artifact`);
    const bucket = input.artifact?.bucket ?? pulumi.output(undefined);
    const tables = input.writeRouteTables ?? pulumi.output(undefined);
    const resolved = pulumi.all([input.databaseHosts, material, volumeId, bucket, tables]);
    return resolved.apply(([databaseHosts, [certificatePem, databaseCaPem, certs], volume, bucketName, routeTables]) => {
        const context = { topology, view: awsView(topology, plan, databaseHosts) };
        // A Galera node's role hook moves the write address's route to it when elected.
        const writeRoute = routeTables ? writeRouteFiles(input.region, routeTables, plan.instance(server.name).privateIp) : undefined;
        // Each service's health check (the docker platform's, as a command line here).
        const checks: string[][] = [];
        const services = server.services.map((s): VmService => {
            if (s.kind === "rds") throw new Error(`${s.key}: RDS runs on no instance of ours`);
            const secret = placeholderLookup({ certificatePem, databaseCaPem, databaseCertPem: certs[own.indexOf(s.key)] }, s.key);
            const rendered = renderService(context, s);
            // EC2 takes 16 KiB of user data: HAProxy's config goes without its comment lines (the
            // repository and the docker platform's copy keep them), as a Galera node's files do.
            const shipped = (path: string, content: string) => (path === HAPROXY_CONFIG_PATH ? withoutComments(content) : content);
            // Prometheus's alert rules come in the monitoring bundle (artifacts.ts), not in user data.
            const files = rendered.files
                .filter((f) => f.path !== PROMETHEUS_RULES_PATH)
                .map((f) => ({
                    path: f.path,
                    content: shipped(f.path, "content" in f ? f.content : f.withSecrets(secret)),
                }));
            checks.push(rendered.healthcheck.slice(1));
            const dataDevices = s.kind === "mariadb" && volume ? dataDevicePaths(volume) : undefined;
            // A pair's HAProxy stops softly, serving through its grace while the NLB takes it out.
            const pair = s.kind === "haproxy" ? context.view.pairOf(s) : undefined;
            return {
                kind: s.kind,
                files,
                env: rendered.env,
                ...(dataDevices ? { dataDevices } : {}),
                ...(pair ? { softStopGraceMs: pair.stopGraceMs } : {}),
                ...(s.kind === "mariadb" && writeRoute ? { galeraRoleHooks: writeRoute.hooks } : {}),
            };
        });
        // RDS: the first load balancer's instance creates the schema and users there, and every
        // instance that talks to RDS (that one and the web servers, whose app does) fetches Amazon's
        // CA for the region to verify it; a pair's second load balancer does neither.
        const managed = topology.args.database.mode === "managed";
        const bootstrap = managed && server.name === topology.loadBalancers[0].server ? [rdsBootstrapSteps(plan, databaseHosts[0])] : [];
        const rdsClient = managed && (bootstrap.length > 0 || server.services.some((s) => s.kind === "app"));
        const ready = input.readinessParameter ? readySteps(input.region, input.readinessParameter, checks) : undefined;
        const delivery: BundleDelivery =
            input.artifact && bucketName ? artifactDelivery(input.region, bucketName, input.artifact) : { files: [], commands: [] };
        const first = [...(rdsClient ? [rdsCaSteps(input.region), ...bootstrap] : []), ...(writeRoute ? [writeRoute.steps] : [])];
        const platform = bootSteps(services, delivery, first);
        // Last: once every service passes its health check, the instance says so (the readiness gate).
        const steps = ready
            ? {
                  ...platform,
                  packages: [...platform.packages, ...ready.packages],
                  files: [...platform.files, ...ready.files],
                  commands: [...platform.commands, ...ready.commands],
              }
            : platform;
        const config = renderCloudConfig({
            hostname: server.name,
            region: input.region,
            packages: steps.packages,
            files: steps.files,
            parameters: input.parameterNames,
            secretOwner: (file) => secretOwner(file, { [RDS_BOOTSTRAP_PATH]: ROOT_ONLY, [RDS_CLIENT_CONFIG_PATH]: ROOT_ONLY }),
            commandsBeforeSecrets: steps.before,
            commands: steps.commands,
            secretsHelper: secretsHelper(),
        });
        const keys = [...new Set(steps.files.flatMap((f) => placeholdersIn(f.content)))].sort();
        return { userData: compressUserData(config).toString("base64"), keys };
    });
}

/**
 * Amazon's CA bundle for the region's RDS instances, from Amazon's trust store over HTTPS (the
 * system's CAs verify it), before any client of RDS starts. Too large for user data.
 */
function rdsCaSteps(region: string): BootSteps {
    const url = `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
    return {
        packages: ["curl", "ca-certificates"],
        files: [],
        before: [],
        commands: [["curl", "-fsS", "--retry", "10", "--retry-all-errors", "-o", DATABASE_CA_PATH, url]],
    };
}

/** RDS has no init file of ours: a client creates the schema and the app user once it answers. */
function rdsBootstrapSteps(plan: AwsPlan, writerHost: string): BootSteps {
    const client = lines(
        "[client]",
        `host=${writerHost}`,
        `user=${RDS_ADMIN_USER}`,
        `password=${secretPlaceholder(RDS_ADMIN_PASSWORD_KEY)}`,
        // Over TLS, verifying RDS's certificate and name against Amazon's CA (require_secure_transport is on).
        `ssl-ca=${DATABASE_CA_PATH}`,
        "ssl-verify-server-cert",
    );
    const sql = renderPrimaryBootstrap({
        database: DATABASE_NAME,
        appUser: APP_DB_USER,
        appPassword: placeholderOf("appPassword"),
        clientHost: databaseHostPattern(plan.aws.vpcCidr),
        authPlugin: "mysql_native_password",
    });
    return {
        packages: ["mariadb-client"],
        files: [
            { path: RDS_CLIENT_CONFIG_PATH, content: client },
            { path: RDS_BOOTSTRAP_PATH, content: sql },
        ],
        before: [],
        // RDS may still be starting when the instance boots: retry for up to 20 minutes. The admin
        // login then goes: nothing on the instance needs it again.
        commands: [
            [
                "sh",
                "-c",
                `for i in $(seq 120); do mariadb --defaults-extra-file=${RDS_CLIENT_CONFIG_PATH} < ${RDS_BOOTSTRAP_PATH} && exit 0; sleep 10; done; exit 1`,
            ],
            ["rm", "-f", RDS_CLIENT_CONFIG_PATH],
        ],
    };
}

/**
 * The readiness gate's boot side: `foobar-secrets --ready` runs every local health check until all
 * pass, then writes the instance id to the server's readiness parameter (readiness.ts).
 */
function readySteps(region: string, parameter: string, checks: readonly string[][]): BootSteps {
    const config = { region, parameter, checks, timeoutSeconds: READY_CHECK_SECONDS };
    return {
        // The health checks of nginx and the exporter ask with curl (as in their docker images).
        packages: checks.some((c) => c[0] === "curl") ? ["curl"] : [],
        files: [{ path: READY_CONFIG_PATH, content: `${JSON.stringify(config)}\n` }],
        before: [],
        commands: [[SECRETS_HELPER_PATH, "--ready", READY_CONFIG_PATH]],
    };
}
