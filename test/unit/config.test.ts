// validateArgs: every rule, with the exact message a user sees, and the defaults it applies.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { validateArgs } from "../../components/foobarSchema";
import { DEFAULT_AWS_RESOLVED } from "./awsHelpers";
import { errorOf, header, one } from "./configErrors";
import { TLS } from "./tlsFixtures";

const { cert: CERT, key: KEY } = TLS;
const PEM_HINT = (key: string, what: string) =>
    `tls.mode "provided" needs a PEM ${what}; set it with \`pulumi config set --secret --path foobar:tls.${key} "$(cat FILE)"\`.`;
const WHOLE = (min: number, max: number) => `must be a whole number from ${min} to ${max}.`;
const DOMAIN_FIX = `must be a lowercase DNS name with at least two labels, like "www.foobar.com".`;
const SUBNET_FIX = `must be a private IPv4 CIDR (10/8, 172.16/12 or 192.168/16) with a prefix from /16 to /21, like "10.77.0.0/16".`;
const SUBNET_ROOM = (room: number, webServers: number, needed: number, prefix: number) =>
    `holds ${room} /24 networks but ${webServers} web servers need ${needed} (edge, web, data, metrics and one per web server); use a /${prefix} or larger range.`;

interface BadCase {
    readonly name: string;
    readonly args: unknown;
    readonly message: string;
}

const BAD: readonly BadCase[] = [
    {
        name: "unknown platform",
        args: { platform: "gcp" },
        message: one(`  - foobar:platform: got "gcp"; must be one of "docker", "aws".`),
    },
    {
        name: "uppercase domain",
        args: { domain: "WWW.Foobar.com" },
        message: one(`  - foobar:domain: got "WWW.Foobar.com"; ${DOMAIN_FIX}`),
    },
    { name: "single-label domain", args: { domain: "foobar" }, message: one(`  - foobar:domain: got "foobar"; ${DOMAIN_FIX}`) },
    {
        name: "domain with a space",
        args: { domain: "www foobar.com" },
        message: one(`  - foobar:domain: got "www foobar.com"; ${DOMAIN_FIX}`),
    },
    { name: "domain not a string", args: { domain: 42 }, message: one(`  - foobar:domain: got 42; ${DOMAIN_FIX}`) },
    { name: "webServers 0", args: { webServers: 0 }, message: one(`  - foobar:webServers: got 0; ${WHOLE(1, 8)}`) },
    { name: "webServers 9", args: { webServers: 9 }, message: one(`  - foobar:webServers: got 9; ${WHOLE(1, 8)}`) },
    { name: 'webServers "two"', args: { webServers: "two" }, message: one(`  - foobar:webServers: got "two"; ${WHOLE(1, 8)}`) },
    { name: "webServers 2.5", args: { webServers: 2.5 }, message: one(`  - foobar:webServers: got 2.5; ${WHOLE(1, 8)}`) },
    {
        name: "lb.algorithm typo",
        args: { lb: { algorithm: "round-robin" } },
        message: one(
            `  - foobar:lb.algorithm: got "round-robin"; must be one of "roundrobin", "leastconn", "source". Did you mean "roundrobin"?`,
        ),
    },
    {
        name: "lb.mode typo",
        args: { lb: { mode: "active-pasive" } },
        message: one(
            `  - foobar:lb.mode: got "active-pasive"; must be one of "active-active", "active-passive". Did you mean "active-passive"?`,
        ),
    },
    {
        name: "active-passive with one web server",
        args: { webServers: 1, lb: { mode: "active-passive" } },
        message: one(
            `  - foobar:lb.mode: got "active-passive"; needs at least 2 web servers (webServers is 1); raise webServers or use "active-active".`,
        ),
    },
    {
        name: "health check timeout above the interval",
        args: { lb: { healthCheck: { intervalMs: 500, timeoutMs: 800 } } },
        message: one(
            `  - foobar:lb.healthCheck.timeoutMs: got 800; must not exceed lb.healthCheck.intervalMs (500); lower it or raise the interval.`,
        ),
    },
    {
        name: "health check fall 0",
        args: { lb: { healthCheck: { fall: 0 } } },
        message: one(`  - foobar:lb.healthCheck.fall: got 0; ${WHOLE(1, 10)}`),
    },
    {
        name: "unknown key inside lb",
        args: { lb: { algoritm: "leastconn" } },
        message: one(
            `  - foobar:lb.algoritm: got "leastconn"; unknown key; known keys of lb are count, algorithm, mode, healthCheck. Did you mean "algorithm"?`,
        ),
    },
    {
        name: "unknown top-level key",
        args: { webservers: 3 },
        message: one(
            `  - foobar:webservers: got 3; unknown key; known keys are platform, domain, webServers, lb, tls, database, monitoring, production, docker, aws. Did you mean "webServers"?`,
        ),
    },
    {
        name: "tls provided without certificate and key",
        args: { tls: { mode: "provided" } },
        message: [
            header(2),
            `  - foobar:tls.certificate: got nothing; ${PEM_HINT("certificate", "certificate")}`,
            `  - foobar:tls.key: got nothing; ${PEM_HINT("key", "private key")}`,
        ].join("\n"),
    },
    {
        name: "tls provided with values that are not PEM (shown only as [secret])",
        args: { tls: { mode: "provided", certificate: "hunter2-cert", key: "hunter2-key" } },
        message: [
            header(2),
            `  - foobar:tls.certificate: got "[secret]"; ${PEM_HINT("certificate", "certificate")}`,
            `  - foobar:tls.key: got "[secret]"; ${PEM_HINT("key", "private key")}`,
        ].join("\n"),
    },
    {
        name: "tls self-signed with a certificate",
        args: { tls: { mode: "self-signed", certificate: CERT } },
        message: one(
            `  - foobar:tls.certificate: got "[secret]"; is only read when tls.mode is "provided"; remove it or set tls.mode to "provided".`,
        ),
    },
    {
        name: "tls provided with validityDays",
        args: { tls: { mode: "provided", certificate: CERT, key: KEY, validityDays: 30 } },
        message: one(`  - foobar:tls.validityDays: got 30; is only read when tls.mode is "self-signed"; remove it.`),
    },
    {
        name: "tls.validityDays 0",
        args: { tls: { validityDays: 0 } },
        message: one(`  - foobar:tls.validityDays: got 0; ${WHOLE(1, 366)}`),
    },
    {
        name: "managed database on docker",
        args: { database: { mode: "managed" } },
        message: one(
            `  - foobar:database.mode: got "managed"; a managed (RDS) database needs platform "aws"; use "self-managed" on docker.`,
        ),
    },
    {
        name: "more replicas than web servers",
        args: { webServers: 2, database: { replicas: 3 } },
        message: one(`  - foobar:database.replicas: got 3; ${WHOLE(0, 2)}`),
    },
    {
        name: "docker ports equal",
        args: { docker: { httpPort: 8443 } },
        message: one(`  - foobar:docker.httpsPort: got 8443; must differ from docker.httpPort (8443).`),
    },
    {
        name: 'docker.bindAddress "localhost"',
        args: { docker: { bindAddress: "localhost" } },
        message: one(`  - foobar:docker.bindAddress: got "localhost"; must be an IPv4 address of this host, like "127.0.0.1".`),
    },
    {
        name: "public subnet",
        args: { docker: { subnet: "8.8.0.0/16" } },
        message: one(`  - foobar:docker.subnet: got "8.8.0.0/16"; ${SUBNET_FIX}`),
    },
    {
        name: "misaligned subnet",
        args: { docker: { subnet: "10.77.1.0/16" } },
        message: one(`  - foobar:docker.subnet: got "10.77.1.0/16"; ${SUBNET_FIX}`),
    },
    {
        name: "subnet prefix /24",
        args: { docker: { subnet: "10.77.0.0/24" } },
        message: one(`  - foobar:docker.subnet: got "10.77.0.0/24"; ${SUBNET_FIX}`),
    },
    {
        // Four /24s cannot hold edge, web, data, metrics and a web server's own network.
        name: "subnet prefix /22",
        args: { webServers: 1, docker: { subnet: "10.77.0.0/22" } },
        message: one(`  - foobar:docker.subnet: got "10.77.0.0/22"; ${SUBNET_FIX}`),
    },
    {
        name: "subnet /21 too small for 5 web servers",
        args: { webServers: 5, docker: { subnet: "172.31.248.0/21" } },
        message: one(`  - foobar:docker.subnet: got "172.31.248.0/21"; ${SUBNET_ROOM(8, 5, 9, 20)}`),
    },
    {
        name: "subnet /21 too small for 6 web servers",
        args: { webServers: 6, docker: { subnet: "10.77.0.0/21" } },
        message: one(`  - foobar:docker.subnet: got "10.77.0.0/21"; ${SUBNET_ROOM(8, 6, 10, 20)}`),
    },
    {
        name: "subnet /21 too small for 8 web servers",
        args: { webServers: 8, docker: { subnet: "192.168.8.0/21" } },
        message: one(`  - foobar:docker.subnet: got "192.168.8.0/21"; ${SUBNET_ROOM(8, 8, 12, 20)}`),
    },
    {
        name: "monitoring: a misspelt key, a flag that is no boolean, intervals out of range",
        args: { monitoring: { enabled: "yes", scrapeInterval: 5, scrapeIntervalSeconds: 0, retentionDays: 400 } },
        message: [
            header(4),
            `  - foobar:monitoring.scrapeInterval: got 5; unknown key; known keys of monitoring are enabled, scrapeIntervalSeconds, retentionDays, alerts. Did you mean "scrapeIntervalSeconds"?`,
            `  - foobar:monitoring.enabled: got "yes"; must be true or false.`,
            `  - foobar:monitoring.scrapeIntervalSeconds: got 0; must be a whole number from 1 to 60.`,
            `  - foobar:monitoring.retentionDays: got 400; must be a whole number from 1 to 365.`,
        ].join("\n"),
    },
    {
        name: "monitoring.alerts: a webhook that is no http(s) URL (never shown), e-mail without its recipient, a login without its password",
        args: {
            monitoring: {
                alerts: {
                    webhookUrl: "hooks.example.org/T0KEN",
                    email: { from: "alerts@foobar.com", smarthost: "smtp.example.org", username: "alerts" },
                },
            },
        },
        message: [
            header(4),
            `  - foobar:monitoring.alerts.webhookUrl: got "[secret]"; must be an http(s) URL without spaces or quotes, as a secret: \`pulumi config set --secret --path foobar:monitoring.alerts.webhookUrl "https://..."\`.`,
            `  - foobar:monitoring.alerts.email.to: got nothing; must be one e-mail address like "oncall@example.com".`,
            `  - foobar:monitoring.alerts.email.smarthost: got "smtp.example.org"; must be the SMTP server as host:port, like "smtp.example.org:587".`,
            `  - foobar:monitoring.alerts.email.password: got nothing; is needed with the other: an SMTP login is a username and a password; set both, or neither.`,
        ].join("\n"),
    },
    {
        name: "monitoring.alerts with monitoring off",
        args: { monitoring: { enabled: false, alerts: { webhookUrl: "https://hooks.example.org/T0KEN" } } },
        message: one(
            `  - foobar:monitoring.alerts: got "[secret]"; is only read with monitoring.enabled true (Alertmanager runs beside Prometheus); remove it or enable monitoring.`,
        ),
    },
    {
        name: "docker.prometheusPort on the site's HTTPS port",
        args: { docker: { prometheusPort: 8443 } },
        message: one(`  - foobar:docker.prometheusPort: got 8443; must differ from docker.httpPort (8080) and docker.httpsPort (8443).`),
    },
    {
        name: "three load balancers",
        args: { lb: { count: 3 } },
        message: one(`  - foobar:lb.count: got 3; must be a whole number from 1 to 2.`),
    },
    {
        name: "a pair of load balancers in front of one web server, active-passive",
        args: { webServers: 1, database: { replicas: 1 }, lb: { count: 2, mode: "active-passive" } },
        message: one(
            `  - foobar:lb.mode: got "active-passive"; needs at least 2 web servers (webServers is 1); raise webServers or use "active-active".`,
        ),
    },
    {
        name: "a pair whose second Prometheus would take the HTTP port",
        args: { lb: { count: 2 }, docker: { httpPort: 9091 } },
        message: one(
            `  - foobar:docker.prometheusPort: got 9090; must differ from docker.httpPort (9091) and docker.httpsPort (8443), nor may the next port (the second load balancer's Prometheus).`,
        ),
    },
    {
        name: "a pair whose second Prometheus would need port 65536",
        args: { lb: { count: 2 }, docker: { prometheusPort: 65535 } },
        message: one(
            `  - foobar:docker.prometheusPort: got 65535; leaves no port above it for the second load balancer's Prometheus; lower it.`,
        ),
    },
    {
        name: "lb given as a string",
        args: { lb: "roundrobin" },
        message: one(`  - foobar:lb: got "roundrobin"; must be an object with keys count, algorithm, mode, healthCheck.`),
    },
    {
        name: "several problems at once, in rule order",
        args: {
            platform: "gcp",
            webServers: 0,
            lb: { algorithm: "round-robin" },
            docker: { bindAddress: "localhost", subnet: "8.8.0.0/16" },
        },
        message: [
            header(5),
            `  - foobar:platform: got "gcp"; must be one of "docker", "aws".`,
            `  - foobar:webServers: got 0; must be a whole number from 1 to 8.`,
            `  - foobar:lb.algorithm: got "round-robin"; must be one of "roundrobin", "leastconn", "source". Did you mean "roundrobin"?`,
            `  - foobar:docker.bindAddress: got "localhost"; must be an IPv4 address of this host, like "127.0.0.1".`,
            `  - foobar:docker.subnet: got "8.8.0.0/16"; ${SUBNET_FIX}`,
        ].join("\n"),
    },
];

describe("validateArgs", () => {
    describe("rejects bad configurations with the exact message", () => {
        for (const c of BAD) {
            it(c.name, () => {
                const err = errorOf(c.args);
                assert.equal(err.name, "ConfigError");
                assert.equal(err.message, c.message);
                assert.equal(err.problems.length, c.message.split("\n").length - 1);
            });
        }
    });

    it("never echoes a secret value, only [secret]", () => {
        for (const tls of [
            { mode: "provided", certificate: "hunter2-cert", key: "hunter2-key" },
            { mode: "self-signed", certificate: CERT, key: KEY },
        ]) {
            const err = errorOf({ tls });
            assert.ok(!err.message.includes("hunter2"), err.message);
            assert.ok(!err.message.includes("fake"), err.message);
            assert.deepEqual(
                err.problems.map((p) => p.value),
                ["[secret]", "[secret]"],
            );
        }
    });

    it("never echoes a key put under a misspelt tls key, or a PEM given as the whole tls object", () => {
        const misspelt = errorOf({ tls: { mode: "provided", certificate: CERT, privateKey: KEY } });
        assert.equal(
            misspelt.message,
            [
                header(2),
                `  - foobar:tls.privateKey: got "[secret]"; unknown key; known keys of tls are mode, validityDays, certificate, key. Did you mean "key"?`,
                `  - foobar:tls.key: got nothing; ${PEM_HINT("key", "private key")}`,
            ].join("\n"),
        );
        const whole = errorOf({ tls: KEY });
        assert.equal(
            whole.message,
            one(`  - foobar:tls: got "[secret]"; must be an object with keys mode, validityDays, certificate, key.`),
        );
    });

    it("lets a shorter health-check interval alone bring the timeout default down with it", () => {
        assert.deepEqual(validateArgs({ lb: { healthCheck: { intervalMs: 500 } } }).lb.healthCheck, {
            intervalMs: 500,
            timeoutMs: 500,
            fall: 2,
            rise: 2,
        });
    });

    /** Every default, spelled out: the literal values, not the DEFAULT_* constants they should equal. */
    const DEFAULTS = {
        platform: "docker",
        domain: "www.foobar.com",
        webServers: 2,
        lb: {
            count: 1,
            algorithm: "roundrobin",
            mode: "active-active",
            healthCheck: { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2 },
        },
        tls: { mode: "self-signed", validityDays: 365 },
        database: { mode: "self-managed", replicas: 2, failover: "manual" },
        monitoring: { enabled: true, scrapeIntervalSeconds: 5, retentionDays: 15, alerts: undefined },
        production: false,
        docker: {
            httpPort: 8080,
            httpsPort: 8443,
            bindAddress: "127.0.0.1",
            exposeOnNetwork: false,
            subnet: "10.77.0.0/16",
            prometheusPort: 9090,
        },
        aws: DEFAULT_AWS_RESOLVED,
    };

    it("applies every default to an empty configuration", () => {
        assert.deepEqual(validateArgs({}), DEFAULTS);
        assert.deepEqual(validateArgs(undefined), DEFAULTS);
    });

    it("accepts platform aws, with the same defaults and the aws block", () => {
        assert.deepEqual(validateArgs({ platform: "aws" }), { ...DEFAULTS, platform: "aws" });
    });

    it("accepts whole numbers as strings, as stack config delivers them", () => {
        const resolved = validateArgs({
            webServers: "3",
            lb: { healthCheck: { intervalMs: "2000", fall: "3" } },
            docker: { httpPort: "80" },
        });
        assert.equal(resolved.webServers, 3);
        assert.equal(resolved.database.replicas, 3, "replicas default to webServers");
        assert.deepEqual(resolved.lb.healthCheck, { intervalMs: 2000, timeoutMs: 1000, fall: 3, rise: 2 });
        assert.equal(resolved.docker.httpPort, 80);
        assert.equal(validateArgs({ webServers: "3", database: { replicas: "1" } }).database.replicas, 1);
    });

    it("accepts every documented choice", () => {
        const resolved = validateArgs({
            domain: "shop.example.org",
            webServers: 8,
            lb: {
                count: 2,
                algorithm: "leastconn",
                mode: "active-passive",
                healthCheck: { intervalMs: 2000, timeoutMs: 500, fall: 3, rise: 1 },
            },
            tls: { mode: "self-signed", validityDays: 366 },
            database: { mode: "self-managed", replicas: 0, failover: "manual" },
            monitoring: { enabled: false, scrapeIntervalSeconds: 60, retentionDays: 365, alerts: undefined },
            production: true,
            docker: {
                httpPort: 80,
                httpsPort: 443,
                bindAddress: "0.0.0.0",
                exposeOnNetwork: true,
                subnet: "192.168.16.0/20",
                prometheusPort: 19090,
            },
        });
        assert.deepEqual(resolved, {
            platform: "docker",
            domain: "shop.example.org",
            webServers: 8,
            lb: {
                count: 2,
                algorithm: "leastconn",
                mode: "active-passive",
                healthCheck: { intervalMs: 2000, timeoutMs: 500, fall: 3, rise: 1 },
            },
            tls: { mode: "self-signed", validityDays: 366 },
            database: { mode: "self-managed", replicas: 0, failover: "manual" },
            monitoring: { enabled: false, scrapeIntervalSeconds: 60, retentionDays: 365, alerts: undefined },
            production: true,
            docker: {
                httpPort: 80,
                httpsPort: 443,
                bindAddress: "0.0.0.0",
                exposeOnNetwork: true,
                subnet: "192.168.16.0/20",
                prometheusPort: 19090,
            },
            aws: DEFAULT_AWS_RESOLVED,
        });
        for (const subnet of ["10.0.0.0/16", "172.16.0.0/16", "172.31.248.0/21", "192.168.0.0/16"]) {
            assert.equal(validateArgs({ docker: { subnet } }).docker.subnet, subnet);
        }
        // A /21 fits the default two web servers (edge, web, data, metrics, server-1, server-2).
        assert.equal(validateArgs({ docker: { subnet: "172.31.248.0/21" } }).docker.subnet, "172.31.248.0/21");
    });

    it("needs room in docker.subnet for edge, web, data, metrics and one /24 per web server", () => {
        // /21 holds 8 networks: four web servers (8) fit, five (9) do not.
        const four = validateArgs({ webServers: 4, docker: { subnet: "10.77.0.0/21" } });
        assert.deepEqual([four.webServers, four.docker.subnet], [4, "10.77.0.0/21"]);
        assert.equal(
            errorOf({ webServers: 5, docker: { subnet: "10.77.0.0/21" } }).message,
            one(
                `  - foobar:docker.subnet: got "10.77.0.0/21"; holds 8 /24 networks but 5 web servers need 9 (edge, web, data, metrics and one per web server); use a /20 or larger range.`,
            ),
        );
        // /20 holds 16: the most web servers (8, needing 12) fit.
        assert.equal(validateArgs({ webServers: 8, docker: { subnet: "10.77.0.0/20" } }).docker.subnet, "10.77.0.0/20");
        // The metrics network keeps its /24 with monitoring off too: addresses do not move when it is switched.
        assert.equal(
            errorOf({ webServers: 5, monitoring: { enabled: false }, docker: { subnet: "10.77.0.0/21" } }).message,
            one(
                `  - foobar:docker.subnet: got "10.77.0.0/21"; holds 8 /24 networks but 5 web servers need 9 (edge, web, data, metrics and one per web server); use a /20 or larger range.`,
            ),
        );
        // A malformed subnet gets only the shape rule, not the room rule as well.
        assert.equal(
            errorOf({ webServers: 8, docker: { subnet: "10.77.0.0/24" } }).message,
            one(`  - foobar:docker.subnet: got "10.77.0.0/24"; ${SUBNET_FIX}`),
        );
    });

    it("wraps provided PEMs as secret Outputs", async () => {
        const { tls } = validateArgs({ tls: { mode: "provided", certificate: CERT, key: KEY } });
        assert.equal(tls.mode, "provided");
        if (tls.mode !== "provided") return;
        for (const [value, pem] of [
            [tls.certificate, CERT],
            [tls.key, KEY],
        ] as const) {
            assert.ok(pulumi.Output.isInstance(value));
            const output = value as pulumi.Output<string>;
            assert.equal(await pulumi.isSecret(output), true);
            assert.equal(await new Promise((resolve) => output.apply(resolve)), pem);
        }
    });
});
