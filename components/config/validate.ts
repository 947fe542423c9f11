// validateArgs: every rule on FoobarInfraArgs, checked at once, before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import {
    DATABASE_MODES,
    DEFAULT_DATABASE_MODE,
    DEFAULT_DOCKER,
    DEFAULT_DOMAIN,
    DEFAULT_HEALTH_CHECK,
    DEFAULT_LB_ALGORITHM,
    DEFAULT_LB_MODE,
    DEFAULT_MONITORING,
    DEFAULT_PLATFORM,
    DEFAULT_TLS_VALIDITY_DAYS,
    DEFAULT_WEB_SERVERS,
    DOCKER_SHARED_NETWORKS,
    dockerNetworkCount,
    LB_ALGORITHMS,
    LB_MODES,
    MAX_WEB_SERVERS,
    PLATFORMS,
    ResolvedArgs,
    TLS_MODES,
} from "./args";
import { Problems, SECRET_PLACEHOLDER } from "./problems";
import { validateAws } from "./awsArgs";

/** RDS allows up to 5 read replicas of one source instance. */
const MAX_RDS_REPLICAS = 5;
import { Cidr, isDnsName, isIpv4, isPrivateIpv4Cidr, parseCidr } from "./net";

export const TOP_LEVEL_KEYS = ["platform", "domain", "webServers", "lb", "tls", "database", "monitoring", "docker", "aws"] as const;
const LB_KEYS = ["algorithm", "mode", "healthCheck"];
const HEALTH_KEYS = ["intervalMs", "timeoutMs", "fall", "rise"];
const TLS_KEYS = ["mode", "validityDays", "certificate", "key"];
const DATABASE_KEYS = ["mode", "replicas"];
const MONITORING_KEYS = ["enabled", "scrapeIntervalSeconds", "retentionDays"];
const DOCKER_KEYS = ["httpPort", "httpsPort", "bindAddress", "subnet", "prometheusPort"];

/**
 * Checks every argument and applies the defaults. Throws one ConfigError that lists, for each
 * problem, the stack config key, the value received and the fix. `args` is untyped on purpose:
 * stack config is only JSON until it has passed here.
 */
export function validateArgs(args: unknown): ResolvedArgs {
    const p = new Problems();
    const top = p.object("", args, [...TOP_LEVEL_KEYS]) ?? {};

    const platform = p.oneOf("platform", top.platform, PLATFORMS, DEFAULT_PLATFORM);
    const domain = top.domain ?? DEFAULT_DOMAIN;
    if (typeof domain !== "string" || !isDnsName(domain)) {
        p.add("domain", domain, `must be a lowercase DNS name with at least two labels, like "www.foobar.com".`);
    }
    const webServers = p.integer("webServers", top.webServers, 1, MAX_WEB_SERVERS, DEFAULT_WEB_SERVERS);

    const lbIn = p.object("lb", top.lb, LB_KEYS) ?? {};
    const mode = p.oneOf("lb.mode", lbIn.mode, LB_MODES, DEFAULT_LB_MODE);
    if (mode === "active-passive" && webServers < 2) {
        p.add("lb.mode", mode, `needs at least 2 web servers (webServers is ${webServers}); raise webServers or use "active-active".`);
    }
    const hcIn = p.object("lb.healthCheck", lbIn.healthCheck, HEALTH_KEYS) ?? {};
    const intervalMs = p.integer("lb.healthCheck.intervalMs", hcIn.intervalMs, 100, 60000, DEFAULT_HEALTH_CHECK.intervalMs);
    const healthCheck = {
        intervalMs,
        // A shorter interval alone must not trip the timeout rule: the default follows it down.
        timeoutMs: p.integer("lb.healthCheck.timeoutMs", hcIn.timeoutMs, 100, 60000, Math.min(DEFAULT_HEALTH_CHECK.timeoutMs, intervalMs)),
        fall: p.integer("lb.healthCheck.fall", hcIn.fall, 1, 10, DEFAULT_HEALTH_CHECK.fall),
        rise: p.integer("lb.healthCheck.rise", hcIn.rise, 1, 10, DEFAULT_HEALTH_CHECK.rise),
    };
    if (healthCheck.timeoutMs > healthCheck.intervalMs) {
        p.add(
            "lb.healthCheck.timeoutMs",
            healthCheck.timeoutMs,
            `must not exceed lb.healthCheck.intervalMs (${healthCheck.intervalMs}); lower it or raise the interval.`,
        );
    }
    const lb = { algorithm: p.oneOf("lb.algorithm", lbIn.algorithm, LB_ALGORITHMS, DEFAULT_LB_ALGORITHM), mode, healthCheck };

    const tls = validateTls(p, top.tls);

    const dbIn = p.object("database", top.database, DATABASE_KEYS) ?? {};
    const dbMode = p.oneOf("database.mode", dbIn.mode, DATABASE_MODES, DEFAULT_DATABASE_MODE);
    const database = {
        mode: dbMode,
        replicas:
            dbMode === "managed"
                ? p.integer("database.replicas", dbIn.replicas, 0, MAX_RDS_REPLICAS, 1)
                : p.integer("database.replicas", dbIn.replicas, 0, webServers, webServers),
    };
    if (database.mode === "managed" && platform !== "aws") {
        p.add("database.mode", "managed", `a managed (RDS) database needs platform "aws"; use "self-managed" on ${platform}.`);
    }

    const monitoring = validateMonitoring(p, top.monitoring);

    const dockerIn = p.object("docker", top.docker, DOCKER_KEYS) ?? {};
    const docker = {
        httpPort: p.integer("docker.httpPort", dockerIn.httpPort, 1, 65535, DEFAULT_DOCKER.httpPort),
        httpsPort: p.integer("docker.httpsPort", dockerIn.httpsPort, 1, 65535, DEFAULT_DOCKER.httpsPort),
        bindAddress: (dockerIn.bindAddress ?? DEFAULT_DOCKER.bindAddress) as string,
        subnet: (dockerIn.subnet ?? DEFAULT_DOCKER.subnet) as string,
        prometheusPort: p.integer("docker.prometheusPort", dockerIn.prometheusPort, 1, 65535, DEFAULT_DOCKER.prometheusPort),
    };
    if (dockerIn.httpPort !== undefined || dockerIn.httpsPort !== undefined) {
        if (docker.httpPort === docker.httpsPort) {
            p.add("docker.httpsPort", docker.httpsPort, `must differ from docker.httpPort (${docker.httpPort}).`);
        }
    }
    if (monitoring.enabled && [docker.httpPort, docker.httpsPort].includes(docker.prometheusPort)) {
        p.add(
            "docker.prometheusPort",
            docker.prometheusPort,
            `must differ from docker.httpPort (${docker.httpPort}) and docker.httpsPort (${docker.httpsPort}).`,
        );
    }
    if (typeof docker.bindAddress !== "string" || !isIpv4(docker.bindAddress)) {
        p.add("docker.bindAddress", docker.bindAddress, `must be an IPv4 address of this host, like "127.0.0.1".`);
    }
    if (typeof docker.subnet !== "string" || !isPrivateIpv4Cidr(docker.subnet, 16, 21)) {
        p.add(
            "docker.subnet",
            docker.subnet,
            `must be a private IPv4 CIDR (10/8, 172.16/12 or 192.168/16) with a prefix from /16 to /21, like "10.77.0.0/16".`,
        );
    } else {
        const room = 2 ** (24 - (parseCidr(docker.subnet) as Cidr).prefix);
        const needed = dockerNetworkCount(webServers);
        if (room < needed) {
            const prefix = 24 - Math.ceil(Math.log2(needed));
            p.add(
                "docker.subnet",
                docker.subnet,
                `holds ${room} /24 networks but ${webServers} web servers need ${needed} (${DOCKER_SHARED_NETWORKS.join(", ")} and one per web server); use a /${prefix} or larger range.`,
            );
        }
    }

    const aws = validateAws(p, top.aws);

    p.throwIfAny();
    return { platform, domain: domain as string, webServers, lb, tls, database, monitoring, docker, aws };
}

function validateMonitoring(p: Problems, value: unknown): ResolvedArgs["monitoring"] {
    const m = p.object("monitoring", value, MONITORING_KEYS) ?? {};
    return {
        enabled: p.boolean("monitoring.enabled", m.enabled, DEFAULT_MONITORING.enabled),
        scrapeIntervalSeconds: p.integer(
            "monitoring.scrapeIntervalSeconds",
            m.scrapeIntervalSeconds,
            1,
            60,
            DEFAULT_MONITORING.scrapeIntervalSeconds,
        ),
        retentionDays: p.integer("monitoring.retentionDays", m.retentionDays, 1, 365, DEFAULT_MONITORING.retentionDays),
    };
}

function validateTls(p: Problems, value: unknown): ResolvedArgs["tls"] {
    const tlsIn = p.object("tls", value, TLS_KEYS, { secret: true }) ?? {};
    const mode = p.oneOf("tls.mode", tlsIn.mode, TLS_MODES, "self-signed");
    if (mode === "self-signed") {
        for (const key of ["certificate", "key"] as const) {
            if (tlsIn[key] !== undefined) {
                p.add(
                    `tls.${key}`,
                    SECRET_PLACEHOLDER,
                    `is only read when tls.mode is "provided"; remove it or set tls.mode to "provided".`,
                );
            }
        }
        return {
            mode,
            validityDays: p.integer("tls.validityDays", tlsIn.validityDays, 1, 825, DEFAULT_TLS_VALIDITY_DAYS),
        };
    }
    if (tlsIn.validityDays !== undefined) {
        p.add("tls.validityDays", tlsIn.validityDays, `is only read when tls.mode is "self-signed"; remove it.`);
    }
    const pem = (key: "certificate" | "key", marker: RegExp, example: string): pulumi.Input<string> => {
        const v = tlsIn[key];
        // An Output cannot be inspected before it resolves; its presence is all that can be checked now.
        if (pulumi.Output.isInstance(v)) return v as pulumi.Output<string>;
        if (typeof v !== "string" || !marker.test(v)) {
            // Never echo a secret back: a wrong value is shown only by its shape.
            const shown = v === undefined ? undefined : SECRET_PLACEHOLDER;
            p.add(
                `tls.${key}`,
                shown,
                `tls.mode "provided" needs a PEM ${example}; set it with \`pulumi config set --secret --path foobar:tls.${key} "$(cat FILE)"\`.`,
            );
            return "";
        }
        return pulumi.secret(v);
    };
    return {
        mode,
        certificate: pem("certificate", /-----BEGIN CERTIFICATE-----/, "certificate"),
        key: pem("key", /-----BEGIN (EC |RSA )?PRIVATE KEY-----/, "private key"),
    };
}
