// The platform-agnostic keys of stack config: their types, defaults and docs (schema.ts), and the
// rules that span several keys. Each platform declares its own section in its args.ts.
import { ALERTS_SCHEMA, checkAlerts } from "./alertsSchema";
import { CheckContext } from "./check";
import { isDnsName } from "./net";
import { SECRET_PLACEHOLDER } from "./secret";
import { checkTlsMaterial } from "./tlsMaterial";
import { checkFailover } from "./failoverRules";
import { Fields, GroupField } from "./schema";

export const MAX_WEB_SERVERS = 8;
/** A pair removes the single point of failure; a third adds nothing a pair lacks but cost. */
export const MAX_LOAD_BALANCERS = 2;
/** RDS allows up to 5 read replicas of one source instance. */
export const MAX_RDS_REPLICAS = 5;
const MILLISECONDS = { min: 100, max: 60000 };

const loadBalancer: GroupField = {
    type: "group",
    names: { args: "LoadBalancerArgs", resolved: "ResolvedLoadBalancer" },
    doc: "The load balancers: HAProxy on the server after the web servers, and with `count: 2` on one more.",
    fields: {
        count: {
            type: "integer",
            min: 1,
            max: MAX_LOAD_BALANCERS,
            default: 1,
            doc: "Load-balancer servers, 1 or 2. 1: HAProxy on server-(N+1), beside the primary (the original design). 2: a second, server-(N+2), with HAProxy and Prometheus only, and one address that moves between the two: keepalived's virtual IP on docker, a Network Load Balancer with an Elastic IP per zone on aws.",
        },
        algorithm: {
            type: "choice",
            typeName: "LbAlgorithm",
            values: ["roundrobin", "leastconn", "source"],
            default: "roundrobin",
            doc: "How requests are spread over the web servers: `roundrobin`, `leastconn` or `source`.",
        },
        mode: {
            type: "choice",
            typeName: "LbMode",
            values: ["active-active", "active-passive"],
            default: "active-active",
            doc: "`active-active`: every web server takes traffic; `active-passive`: only server-1 does, the others are HAProxy `backup` servers that take over when it fails (needs 2+ web servers).",
        },
        healthCheck: {
            type: "group",
            names: { args: "HealthCheckArgs", resolved: "ResolvedHealthCheck" },
            doc: "How HAProxy decides that a web server is up or down.",
            fields: {
                intervalMs: {
                    type: "integer",
                    ...MILLISECONDS,
                    default: 1000,
                    doc: "Time between two checks of one server, in ms (100–60000).",
                },
                timeoutMs: {
                    type: "integer",
                    ...MILLISECONDS,
                    // A shorter interval alone must not trip the timeout rule: the default follows it down.
                    derive: ({ siblings }) => ({ default: Math.min(1000, Number(siblings.intervalMs)) }),
                    defaultDoc: "min(1000, intervalMs)",
                    doc: "How long one check may take, in ms; at most `lb.healthCheck.intervalMs`.",
                },
                fall: {
                    type: "integer",
                    min: 1,
                    max: 10,
                    default: 2,
                    doc: "Consecutive failed checks that take a server out of rotation (1–10).",
                },
                rise: { type: "integer", min: 1, max: 10, default: 2, doc: "Consecutive passed checks that bring a server back (1–10)." },
            },
        },
    },
};

const PEM_FIX = (key: string, what: string) =>
    `tls.mode "provided" needs a PEM ${what}; set it with \`pulumi config set --secret --path foobar:tls.${key} "$(cat FILE)"\`.`;

const database: GroupField = {
    type: "group",
    names: { args: "DatabaseArgs", resolved: "ResolvedDatabase" },
    doc: "The primary-replica database cluster.",
    fields: {
        mode: {
            type: "choice",
            typeName: "DatabaseMode",
            values: ["self-managed", "managed"],
            default: "self-managed",
            doc: "`self-managed`: a MariaDB primary on the load balancer's server and GTID replicas on the web servers; `managed`: RDS MySQL with read replicas (platform `aws` only).",
        },
        replicas: {
            type: "integer",
            min: 0,
            max: MAX_WEB_SERVERS,
            derive: ({ siblings, root }) =>
                siblings.mode === "managed"
                    ? { max: MAX_RDS_REPLICAS, default: 1 }
                    : { max: Number(root.webServers), default: Number(root.webServers) },
            defaultDoc: "`webServers` (self-managed), `1` (managed)",
            doc: `Read replicas. Self-managed: 0 to one per web server, placed on server-1, server-2, …; managed: RDS read replicas, 0 to ${MAX_RDS_REPLICAS}.`,
        },
        failover: {
            type: "choice",
            typeName: "DatabaseFailover",
            values: ["manual", "automatic"],
            default: "manual",
            doc: "What happens when the primary dies. `manual`: GTID replicas, one promoted by hand (README runbook). `automatic`, self-managed: the primary and the replicas form a Galera cluster (every commit certified by a majority, a minority refuses writes) and the write address (keepalived's virtual IP on docker, an overlay IP that aws-vpc-move-ip routes on aws) moves to a node of the majority; needs 3+ database nodes (`replicas` 2 or more). `automatic`, managed: RDS Multi-AZ (`aws.rds.multiAz` or `aws.rds.deployment`).",
        },
    },
};

const monitoring: GroupField = {
    type: "group",
    names: { args: "MonitoringArgs", resolved: "ResolvedMonitoring" },
    doc: "Prometheus on each load balancer's server: scrapes every HAProxy and the databases' exporters, and evaluates the alert rules.",
    fields: {
        enabled: {
            type: "flag",
            default: true,
            doc: "Run Prometheus on each load balancer's server, and a mysqld exporter beside each self-managed database.",
        },
        scrapeIntervalSeconds: {
            type: "integer",
            min: 1,
            max: 60,
            default: 5,
            doc: "Seconds between scrapes and rule evaluations (1–60); alerts fire after 2 to 3 of them.",
        },
        retentionDays: { type: "integer", min: 1, max: 365, default: 15, doc: "Days of metrics Prometheus keeps (1–365)." },
        alerts: ALERTS_SCHEMA,
    },
};

export const CORE_FIELDS: Fields = {
    platform: {
        type: "choice",
        typeName: "Platform",
        values: ["docker", "aws"],
        default: "docker",
        doc: "Where the servers run: `docker` (local containers) or `aws` (EC2; needs `aws:region`).",
    },
    domain: {
        type: "text",
        default: "www.foobar.com",
        valid: isDnsName,
        fix: `must be a lowercase DNS name with at least two labels, like "www.foobar.com".`,
        doc: "The site's name; the certificate covers it, `localhost` and `127.0.0.1`.",
    },
    webServers: {
        type: "integer",
        min: 1,
        max: MAX_WEB_SERVERS,
        default: 2,
        doc: `Web servers (server-1 … server-N), 1 to ${MAX_WEB_SERVERS}; the load balancers follow them (server-(N+1), server-(N+2)).`,
    },
    lb: loadBalancer,
    tls: {
        type: "variants",
        names: { args: "TlsArgs", resolved: "ResolvedTls" },
        doc: "TLS for the site, terminated on HAProxy: `self-signed` or `provided`.",
        tag: "mode",
        tagTypeName: "TlsMode",
        default: "self-signed",
        secret: true,
        variants: {
            "self-signed": {
                doc: "A CA and an ECDSA P-256 site certificate made with @pulumi/tls.",
                fields: {
                    validityDays: {
                        type: "integer",
                        min: 1,
                        max: 366,
                        default: 365,
                        doc: "Validity of the CA and the site certificate, in days (1–366: Mozilla's longest for a server certificate).",
                    },
                },
            },
            provided: {
                doc: "Your own certificate and key, both from secret config.",
                fields: {
                    certificate: {
                        type: "pem",
                        required: true,
                        marker: /-----BEGIN CERTIFICATE-----/,
                        what: "certificate",
                        fix: PEM_FIX("certificate", "certificate"),
                        doc: 'PEM certificate chain for the domain, leaf first, as a secret: `pulumi config set --secret --path foobar:tls.certificate "$(cat cert.pem)"`.',
                    },
                    key: {
                        type: "pem",
                        required: true,
                        marker: /-----BEGIN (EC |RSA )?PRIVATE KEY-----/,
                        what: "private key",
                        fix: PEM_FIX("key", "private key"),
                        doc: "PEM private key of the certificate, as a secret.",
                    },
                },
            },
        },
    },
    database,
    monitoring,
    production: {
        type: "flag",
        default: false,
        doc: "The stack holds data that must outlive a mistake: its database volumes and RDS instances are `protect`ed, so `pulumi destroy` and replacements refuse until `pulumi state unprotect`. Database volumes are kept (`retainOnDelete`) either way.",
    },
};

/** Rules across the platform-agnostic keys; a key that already has a problem is not judged again. */
export function checkCore(context: CheckContext): void {
    const { p, args, raw, now, warn } = context;
    checkAlerts(context);
    if (args.lb.mode === "active-passive" && args.webServers < 2 && !p.has("webServers")) {
        p.add(
            "lb.mode",
            args.lb.mode,
            `needs at least 2 web servers (webServers is ${args.webServers}); raise webServers or use "active-active".`,
        );
    }
    const { intervalMs, timeoutMs } = args.lb.healthCheck;
    if (timeoutMs > intervalMs && !p.has("lb.healthCheck.intervalMs") && !p.has("lb.healthCheck.timeoutMs")) {
        p.add(
            "lb.healthCheck.timeoutMs",
            timeoutMs,
            `must not exceed lb.healthCheck.intervalMs (${intervalMs}); lower it or raise the interval.`,
        );
    }
    const [certificate, key] = [raw("tls.certificate"), raw("tls.key")];
    // Given as plain text (stack config), the PEMs are checked now; Outputs when they resolve (credentials.ts).
    if (
        args.tls.mode === "provided" &&
        typeof certificate === "string" &&
        typeof key === "string" &&
        !p.has("tls.certificate") &&
        !p.has("tls.key")
    ) {
        const found = checkTlsMaterial(certificate, key, args.domain, now);
        for (const f of found.problems) p.add(f.key, SECRET_PLACEHOLDER, f.fix);
        found.warnings.forEach(warn);
    }
    if (args.database.mode === "managed" && args.platform !== "aws") {
        p.add("database.mode", "managed", `a managed (RDS) database needs platform "aws"; use "self-managed" on ${args.platform}.`);
    }
    checkFailover({ p, args });
}
