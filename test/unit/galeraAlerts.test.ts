// database.failover "automatic": Prometheus's view of a Galera cluster. Its exporters' targets are
// labelled role="node" (the writer moves), and its rules replace the replication ones: a node
// down, outside the majority or not synced, a cluster smaller than planned, no writer or two, and a
// writer that moved. Stacks without Galera render byte for byte what they did (the golden files).
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { WRITER_MOVED_MINUTES } from "../../components/render/databaseAlerts";
import {
    AlertRulesInput,
    GALERA_TARGET_ROLE,
    PrometheusConfigInput,
    renderAlertRules,
    renderPrometheusConfig,
} from "../../components/render/prometheus";
import { GOLDEN_DIR, readGolden } from "./golden";

interface Rule {
    readonly alert: string;
    readonly expr: string;
    readonly for?: string;
    readonly labels: { readonly severity: string };
    readonly annotations: { readonly summary: string; readonly description: string };
}
const rulesOf = (text: string) => (yaml.load(text) as { groups: Array<{ rules: Rule[] }> }).groups[0].rules;

/** The dev stack's inputs (its golden files say so), and the same with a Galera cluster of 3. */
const DEV_RULES: AlertRulesInput = {
    scrapeIntervalSeconds: 5,
    databases: true,
    semiSync: true,
    loadBalancers: 1,
    hosts: true,
    probes: true,
    notifications: true,
};
const GALERA_RULES: AlertRulesInput = { ...DEV_RULES, galera: { nodes: 3 } };
const exporter = (n: number, host: string, role: "primary" | "replica") => ({ target: `10.77.3.${n}:9104`, host, role });
const DEV_CONFIG: PrometheusConfigInput = {
    scrapeIntervalSeconds: 5,
    haproxyTargets: [{ target: "10.77.3.2:8404", host: "server-3" }],
    externalLabels: { site: "www.foobar.com" },
    listenPort: 9090,
    alertmanagers: ["10.77.3.7:9093"],
    databaseTargets: [exporter(41, "server-1", "replica"), exporter(42, "server-2", "replica"), exporter(43, "server-3", "primary")],
    appTargets: [1, 2].map((n) => ({ target: `10.77.3.2${n}:9301`, host: `server-${n}` })),
    nginxTargets: [1, 2].map((n) => ({ target: `10.77.3.7${n}:9113`, host: `server-${n}` })),
    nodeTargets: [1, 2, 3].map((n) => ({ target: `10.77.3.5${n}:9100`, host: `server-${n}` })),
    probe: { prober: "10.77.3.63:9115", host: "server-3", url: "https://www.foobar.com/healthz" },
};

const NODE = `{job="mysqld",role="node"}`;
const WRITERS = `mysql_global_variables_read_only${NODE} == 0 and on (instance) mysql_global_status_wsrep_ready${NODE} == 1`;
const GALERA_EXPRS: Record<string, string> = {
    FoobarDatabaseNodeDown: `up${NODE} == 0 or mysql_up${NODE} == 0`,
    FoobarDatabaseNodeOutsideMajority: `mysql_global_status_wsrep_cluster_status${NODE} == 0`,
    FoobarDatabaseNodeNotSynced: `(mysql_global_status_wsrep_local_state${NODE} != 4 and mysql_global_status_wsrep_local_state${NODE} != 2) unless on (instance) mysql_global_status_wsrep_cluster_status${NODE} == 0`,
    FoobarDatabaseClusterShrunk: `max(mysql_global_status_wsrep_cluster_size${NODE}) < 3`,
    FoobarDatabaseNoWriter: `absent(${WRITERS})`,
    FoobarDatabaseMultipleWriters: `count(${WRITERS}) > 1`,
    FoobarDatabaseWriterMoved: `(${WRITERS}) and on () count(min_over_time(mysql_global_variables_read_only${NODE}[10m]) == 0) > 1`,
};

describe("database.failover automatic: the alert rules", () => {
    const rules = rulesOf(renderAlertRules(GALERA_RULES));

    it("renders the Galera rules (golden) in place of the replication ones, semi-sync or not", () => {
        const rendered = renderAlertRules(GALERA_RULES);
        const file = path.join(GOLDEN_DIR, "galera-prometheus-alerts.yml");
        if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, rendered);
        assert.equal(
            rendered,
            fs.readFileSync(file, "utf8"),
            "galera-prometheus-alerts.yml differs; rerun with UPDATE_GOLDEN=1 if intended",
        );
        assert.equal(renderAlertRules({ ...GALERA_RULES, semiSync: false }), rendered);
        assert.deepEqual(
            rules.map((r) => [r.alert, r.for, r.labels.severity]),
            [
                ["FoobarWebServerDown", "10s", "warning"],
                ["FoobarSiteDown", "5s", "critical"],
                ["FoobarLoadBalancerDown", "10s", "critical"],
                ["FoobarServerErrors", "2m", "warning"],
                ["FoobarDatabaseNodeDown", "10s", "warning"],
                ["FoobarDatabaseNodeOutsideMajority", "60s", "warning"],
                ["FoobarDatabaseNodeNotSynced", "60s", "warning"],
                ["FoobarDatabaseClusterShrunk", "10s", "warning"],
                ["FoobarDatabaseNoWriter", "10s", "critical"],
                ["FoobarDatabaseMultipleWriters", "10s", "critical"],
                // It fires at the first evaluation that sees the move, and resolves by itself.
                ["FoobarDatabaseWriterMoved", undefined, "warning"],
                ["FoobarSlowResponses", "5m", "warning"],
                ["FoobarDiskAlmostFull", "10s", "warning"],
                ["FoobarMemoryPressure", "5m", "warning"],
                ["FoobarClockNotSynchronised", "10m", "warning"],
                ["FoobarClockSkew", "10m", "warning"],
                ["FoobarSiteUnreachable", "10s", "critical"],
                ["FoobarCertificateExpiresSoon", "10s", "warning"],
                ["FoobarNotificationsFailing", "5m", "critical"],
            ],
        );
    });

    it("reads each node's exporter by role node, with exactly these expressions", () => {
        assert.deepEqual(
            Object.fromEntries(rules.filter((r) => r.alert.startsWith("FoobarDatabase")).map((r) => [r.alert, r.expr])),
            GALERA_EXPRS,
        );
        assert.equal(WRITER_MOVED_MINUTES, 10);
        for (const r of rules.filter((x) => x.alert.startsWith("FoobarDatabase"))) {
            assert.doesNotMatch(r.expr, /role="(primary|replica)"|slave|semi_sync/, r.alert);
        }
    });

    it("says how many nodes the plan has, and what majority the others need", () => {
        for (const [nodes, majority] of [
            [3, 2],
            [4, 3],
            [5, 3],
        ] as const) {
            const byName = new Map(rulesOf(renderAlertRules({ ...DEV_RULES, galera: { nodes } })).map((r) => [r.alert, r]));
            assert.equal(byName.get("FoobarDatabaseClusterShrunk")?.expr, `max(mysql_global_status_wsrep_cluster_size${NODE}) < ${nodes}`);
            assert.equal(
                byName.get("FoobarDatabaseClusterShrunk")?.annotations.summary,
                `The Galera cluster has {{ $value }} of its ${nodes} nodes`,
            );
            assert.match(
                byName.get("FoobarDatabaseNodeDown")?.annotations.description ?? "",
                new RegExp(`^The others carry on while ${majority} of ${nodes} reach each other;`),
            );
        }
    });

    it("waits two scrapes at a slow interval, and a minute at least for a node on its way in", () => {
        const slow = rulesOf(renderAlertRules({ ...GALERA_RULES, scrapeIntervalSeconds: 60 }));
        assert.deepEqual(
            slow.filter((r) => r.alert.startsWith("FoobarDatabase")).map((r) => [r.alert, r.for]),
            [
                ["FoobarDatabaseNodeDown", "120s"],
                ["FoobarDatabaseNodeOutsideMajority", "120s"],
                ["FoobarDatabaseNodeNotSynced", "120s"],
                ["FoobarDatabaseClusterShrunk", "120s"],
                ["FoobarDatabaseNoWriter", "120s"],
                ["FoobarDatabaseMultipleWriters", "120s"],
                ["FoobarDatabaseWriterMoved", undefined],
            ],
        );
    });

    it("refuses a cluster of fewer than 3 nodes; without exporters (monitoring off, RDS) no database rule at all", () => {
        assert.throws(() => renderAlertRules({ ...DEV_RULES, galera: { nodes: 2 } }), {
            message: "refusing to render alerts for a Galera cluster of 2 nodes: a quorum needs 3",
        });
        assert.deepEqual(
            rulesOf(renderAlertRules({ ...GALERA_RULES, databases: false, hosts: false, probes: false, notifications: false })).map(
                (r) => r.alert,
            ),
            ["FoobarWebServerDown", "FoobarSiteDown", "FoobarLoadBalancerDown", "FoobarServerErrors", "FoobarSlowResponses"],
        );
    });

    it("leaves the rules of a stack without Galera byte for byte as they were", () => {
        assert.equal(renderAlertRules(DEV_RULES), readGolden("prometheus-alerts.yml"));
        assert.equal(renderAlertRules({ ...DEV_RULES, galera: undefined }), readGolden("prometheus-alerts.yml"));
    });
});

describe("database.failover automatic: prometheus.yml", () => {
    it(`labels every exporter's target role="${GALERA_TARGET_ROLE}", and nothing else changes`, () => {
        const golden = readGolden("prometheus.yml");
        assert.equal(renderPrometheusConfig(DEV_CONFIG), golden, "the dev stack's inputs render its golden prometheus.yml");
        assert.equal(renderPrometheusConfig({ ...DEV_CONFIG, galera: undefined }), golden);
        const galera = renderPrometheusConfig({ ...DEV_CONFIG, galera: { nodes: 3 } });
        assert.equal(galera, golden.replace(/role: (primary|replica)\n/g, "role: node\n"));
        const mysqld = (yaml.load(galera) as { scrape_configs: Array<{ job_name: string; static_configs: unknown }> }).scrape_configs.find(
            (j) => j.job_name === "mysqld",
        );
        assert.deepEqual(mysqld?.static_configs, [
            { targets: ["10.77.3.41:9104"], labels: { host: "server-1", role: "node" } },
            { targets: ["10.77.3.42:9104"], labels: { host: "server-2", role: "node" } },
            { targets: ["10.77.3.43:9104"], labels: { host: "server-3", role: "node" } },
        ]);
    });
});
