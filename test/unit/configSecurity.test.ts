// The security review's config findings (issue 7): provided TLS material parsed before anything
// is created, only CERTIFICATE blocks ever public, secrets never in an error, dangerous values
// refused. Each case failed before its fix.
import assert from "node:assert/strict";
import { ConfigSecret } from "../../components/config/secret";
import { validateArgs } from "../../components/foobarSchema";
import { defineStack } from "../../components/stack";
import { loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { errorOf, header, one } from "./configErrors";
import { withPlainStackTraces } from "./stackHelpers";
import { TLS } from "./tlsFixtures";

const provided = (certificate: string, key: string) => ({ tls: { mode: "provided", certificate, key } });
/** The fixtures are valid from their making (2026-11) to 2126-11-06. */
const NOW = new Date("2027-01-01T00:00:00Z");
const errorAt = (args: unknown, now = NOW) => {
    try {
        validateArgs(args, { now, warn: () => undefined });
    } catch (err) {
        return (err as Error).message;
    }
    return assert.fail("accepted");
};

describe("security review: provided TLS material", () => {
    const CASES: ReadonlyArray<[string, unknown, Date, string]> = [
        [
            "a private key inside tls.certificate (HAProxy's bundle format)",
            provided(`${TLS.cert}${TLS.key}`, TLS.key),
            NOW,
            one(
                `  - foobar:tls.certificate: got "[secret]"; holds PRIVATE KEY besides the certificates; only CERTIFICATE blocks belong here (the key goes in tls.key).`,
            ),
        ],
        [
            "a key that belongs to another certificate",
            provided(TLS.cert, TLS.otherKey),
            NOW,
            one(
                `  - foobar:tls.key: got "[secret]"; does not belong to tls.certificate (its public key differs); give the certificate's own key.`,
            ),
        ],
        [
            "an expired certificate",
            provided(TLS.cert, TLS.key),
            new Date("2127-01-01T00:00:00Z"),
            one(`  - foobar:tls.certificate: got "[secret]"; expired on 2126-11-06; renew it.`),
        ],
        [
            "a certificate for another name",
            { domain: "www.foobar.com", ...provided(TLS.otherDomainCert, TLS.key) },
            NOW,
            one(
                `  - foobar:tls.certificate: got "[secret]"; is for DNS:shop.example.org, DNS:localhost, IP Address:127.0.0.1, not for the domain www.foobar.com.`,
            ),
        ],
        [
            "an RSA key under 2048 bits",
            provided(TLS.weakRsaCert, TLS.weakRsaKey),
            NOW,
            one(
                `  - foobar:tls.key: got "[secret]"; is a 1024-bit RSA key; the site's ciphers need ECDSA on P-256 or P-384, or RSA of 2048 bits or more.`,
            ),
        ],
        [
            "an EC key on a curve browsers do not offer for TLS",
            provided(TLS.p521Cert, TLS.p521Key),
            NOW,
            one(
                `  - foobar:tls.key: got "[secret]"; is an EC key on secp521r1; the site's ciphers need ECDSA on P-256 or P-384, or RSA of 2048 bits or more.`,
            ),
        ],
    ];
    for (const [name, args, now, message] of CASES) it(`refuses ${name}, with the reason`, () => assert.equal(errorAt(args, now), message));

    it("refuses garbage between the PEM markers, naming the parser's reason", () => {
        const garbage = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
        assert.match(
            errorAt(provided(garbage, TLS.key)),
            /^.*\n {2}- foobar:tls\.certificate: got "\[secret\]"; is not a PEM certificate chain \(.+\)\.$/,
        );
        assert.match(
            errorAt(provided(TLS.cert, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")),
            /foobar:tls\.key: got "\[secret\]"; is not a PEM private key \(/,
        );
    });

    it("accepts ECDSA P-256 and RSA 2048 certificates for the domain", () => {
        for (const [certificate, key] of [
            [TLS.cert, TLS.key],
            [TLS.rsaCert, TLS.rsaKey],
        ]) {
            assert.equal(validateArgs(provided(certificate, key), { now: NOW }).tls.mode, "provided");
        }
    });

    it("warns, without refusing, when the certificate expires within 30 days", () => {
        const warnings: string[] = [];
        validateArgs(provided(TLS.cert, TLS.key), { now: new Date("2126-10-27T00:00:00Z"), warn: (m) => warnings.push(m) });
        assert.deepEqual(warnings, ["tls.certificate expires on 2126-11-06, within 30 days: renew it."]);
    });

    it("publishes only the CERTIFICATE blocks of a provided chain: the CA output and the user data never carry a key", async () => {
        const run = await withPlainStackTraces(() =>
            runUnderMocks({ ...loadStackConfig("dev"), "foobar:tls": provided(TLS.cert, TLS.key).tls }, defineStack, { stack: "dev" }),
        );
        assert.equal(await unwrap(run.outputs.caCertificatePem), TLS.cert);
    });
});

describe("security review: secrets never in an error", () => {
    it("masks every value of a key set with --secret, known or not", async () => {
        const config = { ...loadStackConfig("dev"), "foobar:databse": { password: "hunter2" }, "foobar:domain": "WWW.hunter2.com" };
        const failure = await withPlainStackTraces(() =>
            runUnderMocks(config, defineStack, { stack: "dev", secretKeys: ["foobar:databse", "foobar:domain"] }).then(
                () => assert.fail("accepted"),
                (err: Error) => err,
            ),
        );
        assert.ok(!failure.message.includes("hunter2"), failure.message);
        assert.equal(
            failure.message.split("\n").slice(1).join("\n"),
            [
                `  - foobar:databse: got "[secret]"; unknown key; known keys are platform, domain, webServers, lb, tls, database, monitoring, production, docker, aws. Did you mean "database"?`,
                `  - foobar:domain: got "[secret]"; must be a lowercase DNS name with at least two labels, like "www.foobar.com".`,
            ].join("\n"),
        );
    });

    it("masks every value under a key whose name says password, secret, token or key", () => {
        assert.equal(
            errorOf({ database: { password: "hunter2", apiToken: "hunter3" }, monitoring: { secretKey: "hunter4" } }).message,
            [
                header(3),
                `  - foobar:database.password: got "[secret]"; unknown key; known keys of database are mode, replicas, failover.`,
                `  - foobar:database.apiToken: got "[secret]"; unknown key; known keys of database are mode, replicas, failover.`,
                `  - foobar:monitoring.secretKey: got "[secret]"; unknown key; known keys of monitoring are enabled, scrapeIntervalSeconds, retentionDays, alerts.`,
            ].join("\n"),
        );
    });

    it("reads a ConfigSecret like its value, and never shows it", () => {
        assert.equal(validateArgs({ webServers: new ConfigSecret("3") }).webServers, 3);
        assert.equal(
            errorOf({ webServers: new ConfigSecret("30") }).message,
            one(`  - foobar:webServers: got "[secret]"; must be a whole number from 1 to 8.`),
        );
        assert.equal(JSON.stringify({ v: new ConfigSecret("x") }), '{"v":"[secret]"}');
    });
});

describe("security review: dangerous values", () => {
    const CASES: ReadonlyArray<[string, unknown, string]> = [
        [
            "aws.adminCidr broader than /16",
            { platform: "aws", aws: { adminCidr: "0.0.0.0/1" } },
            `  - foobar:aws.adminCidr: got "0.0.0.0/1"; must be the IPv4 range SSH may come from, a /16 or narrower, like "203.0.113.7/32"; never 0.0.0.0/0 (use SSM Session Manager instead).`,
        ],
        [
            "docker.bindAddress beyond loopback without docker.exposeOnNetwork",
            { docker: { bindAddress: "0.0.0.0" } },
            `  - foobar:docker.bindAddress: got "0.0.0.0"; publishes HAProxy and Prometheus beyond this host; set docker.exposeOnNetwork to true if that is meant, or use "127.0.0.1".`,
        ],
        [
            "docker.subnet on Docker's default bridge",
            { docker: { subnet: "172.17.0.0/16" } },
            `  - foobar:docker.subnet: got "172.17.0.0/16"; overlaps Docker's default bridge (172.17.0.0/16); pick another private range, like "10.77.0.0/16".`,
        ],
        [
            "aws.* on platform docker",
            { aws: { vpcCidr: "10.1.0.0/16" } },
            `  - foobar:aws: got {"vpcCidr":"10.1.0.0/16"}; is only read on platform "aws"; remove it, or set platform to "aws".`,
        ],
        [
            "docker.* on platform aws",
            { platform: "aws", docker: { httpsPort: 443 } },
            `  - foobar:docker: got {"httpsPort":443}; is only read on platform "docker"; remove it, or set platform to "docker".`,
        ],
        [
            "aws.rds with a self-managed database",
            { platform: "aws", aws: { rds: { multiAz: true } } },
            `  - foobar:aws.rds: got {"multiAz":true}; is only read with database.mode "managed"; remove it, or set database.mode to "managed".`,
        ],
    ];
    for (const [name, args, line] of CASES) it(`refuses ${name}`, () => assert.equal(errorOf(args).message, one(line)));

    it("accepts 0.0.0.0 with docker.exposeOnNetwork, and loopback addresses without", () => {
        assert.equal(validateArgs({ docker: { bindAddress: "0.0.0.0", exposeOnNetwork: true } }).docker.bindAddress, "0.0.0.0");
        assert.equal(validateArgs({ docker: { bindAddress: "127.0.0.2" } }).docker.bindAddress, "127.0.0.2");
    });

    const vpc = (publicSubnets: unknown[]) => ({
        platform: "aws",
        aws: { vpcCidr: "10.20.0.0/16", existingVpc: { vpcId: "vpc-0123456789abcdef0", publicSubnets } },
    });
    const A = { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" };
    const B = { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" };

    it("refuses an existing VPC's subnet listed twice, and public subnets all in one zone", () => {
        assert.equal(
            errorOf(vpc([A, A])).message,
            [
                header(2),
                `  - foobar:aws.existingVpc.publicSubnets: got ["subnet-0aaaaaaaaaaaaaaa1","subnet-0aaaaaaaaaaaaaaa1"]; lists one subnet twice, or two that overlap; each must be a different range.`,
                `  - foobar:aws.existingVpc.publicSubnets: got ["eu-west-1a"]; are all in one availability zone; give subnets in two, so that one zone's outage leaves servers in the other.`,
            ].join("\n"),
        );
        assert.equal(
            errorOf(vpc([A, { ...B, availabilityZone: "eu-west-1a" }])).message,
            one(
                `  - foobar:aws.existingVpc.publicSubnets: got ["eu-west-1a"]; are all in one availability zone; give subnets in two, so that one zone's outage leaves servers in the other.`,
            ),
        );
        assert.deepEqual(validateArgs(vpc([A, B])).aws.existingVpc?.publicSubnets, [A, B]);
    });

    it("refuses a managed database in an existing VPC without private subnets to put it in", () => {
        const managed = { ...vpc([A, B]), database: { mode: "managed" } };
        assert.equal(
            errorOf(managed).message,
            one(
                `  - foobar:aws.existingVpc.privateSubnets: got nothing; must list at least 2 subnets as { id: "subnet-...", cidr: "10.0.1.0/24", availabilityZone: "eu-west-1a" }, in two availability zones.`,
            ),
        );
    });

    it("refuses a foobar key set in the project's namespace, with the command that moves it", async () => {
        const config = { ...loadStackConfig("dev"), "foobar-infra:webServers": "5" };
        const failure = await withPlainStackTraces(() =>
            runUnderMocks(config, defineStack, { stack: "dev" }).then(
                () => assert.fail("accepted"),
                (err: Error) => err,
            ),
        );
        assert.equal(
            failure.message,
            one(
                '  - foobar-infra:webServers: got "5"; is a foobar key set in the project\'s namespace, where nothing reads it; move it: `pulumi config rm webServers && pulumi config set --path foobar:webServers <value>`.',
            ),
        );
    });

    it("keeps a certificate at most 366 days (Mozilla's intermediate profile)", () => {
        assert.equal(
            errorOf({ tls: { validityDays: 367 } }).message,
            one(`  - foobar:tls.validityDays: got 367; must be a whole number from 1 to 366.`),
        );
    });
});
