// Alertmanager's config (components/render/alertmanager.ts): one receiver from config, critical
// alerts at once and alone, warnings grouped and repeated every 4 h, FoobarSiteDown holding back the
// per-server alerts under it, and the flags that make two Alertmanagers one cluster.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import {
    ALERTMANAGER_CONFIG_PATH,
    ALERTMANAGER_DATA_PATH,
    ALERTMANAGER_SMTP_PASSWORD_PATH,
    RECEIVER,
    SILENCED_BY_SITE_DOWN,
    renderAlertmanagerConfig,
    renderAlertmanagerDefaults,
} from "../../components/render/alertmanager";
import { renderAlertRules } from "../../components/render/prometheus";
import { GOLDEN_DIR } from "./golden";

const WEBHOOK = "https://hooks.example.org/alertmanager/T0KEN";
const EMAIL = { to: "oncall@example.org", from: "alerts@foobar.com", smarthost: "smtp.example.org:587", username: "alerts" };

/** Compares with test/unit/golden/<name>; UPDATE_GOLDEN=1 rewrites it. */
function assertGoldenFile(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, actual);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs; rerun with UPDATE_GOLDEN=1 if intended`);
}

interface Route {
    receiver: string;
    group_by: string[];
    group_wait: string;
    group_interval?: string;
    repeat_interval: string;
    matchers?: string[];
    routes?: Route[];
}
interface AlertmanagerConfig {
    global: Record<string, unknown>;
    route: Route;
    inhibit_rules: Array<{ source_matchers: string[]; target_matchers: string[]; equal: string[] }>;
    receivers: Array<{ name: string; webhook_configs?: unknown[]; email_configs?: unknown[] }>;
}
const parse = (text: string) => yaml.load(text) as AlertmanagerConfig;

describe("alertmanager config", () => {
    it("renders a webhook and an e-mail receiver (golden), the SMTP password apart from the config", () => {
        const text = renderAlertmanagerConfig({ webhookUrl: WEBHOOK, email: EMAIL });
        assertGoldenFile("alertmanager.yml", text);
        const config = parse(text);
        assert.deepEqual(config.receivers, [
            {
                name: RECEIVER,
                webhook_configs: [{ url: WEBHOOK, send_resolved: true }],
                email_configs: [{ to: EMAIL.to, send_resolved: true }],
            },
        ]);
        assert.deepEqual(config.global, {
            resolve_timeout: "5m",
            smtp_from: EMAIL.from,
            smtp_smarthost: EMAIL.smarthost,
            smtp_require_tls: true,
            smtp_auth_username: EMAIL.username,
            smtp_auth_password_file: ALERTMANAGER_SMTP_PASSWORD_PATH,
        });
    });

    it("with no receiver configured, keeps the alerts in Alertmanager (a receiver that sends nothing)", () => {
        const config = parse(renderAlertmanagerConfig({}));
        assert.deepEqual(config.receivers, [{ name: RECEIVER }]);
        assert.deepEqual(config.global, { resolve_timeout: "5m" });
    });

    it("an e-mail receiver without a username logs in to no SMTP server", () => {
        const anonymous = { to: EMAIL.to, from: EMAIL.from, smarthost: EMAIL.smarthost };
        assert.deepEqual(parse(renderAlertmanagerConfig({ email: anonymous })).global, {
            resolve_timeout: "5m",
            smtp_from: EMAIL.from,
            smtp_smarthost: EMAIL.smarthost,
            smtp_require_tls: true,
        });
    });

    it("sends critical alerts at once and alone, groups warnings and repeats them every 4 h", () => {
        const { route } = parse(renderAlertmanagerConfig({ webhookUrl: WEBHOOK }));
        assert.deepEqual(route, {
            receiver: RECEIVER,
            group_by: ["alertname", "site"],
            group_wait: "15s",
            group_interval: "1m",
            repeat_interval: "4h",
            routes: [{ matchers: ['severity="critical"'], receiver: RECEIVER, group_by: ["..."], group_wait: "0s", repeat_interval: "1h" }],
        });
    });

    it("holds back the per-server alerts while FoobarSiteDown fires, and those alerts exist", () => {
        const { inhibit_rules } = parse(renderAlertmanagerConfig({}));
        assert.deepEqual(inhibit_rules, [
            {
                source_matchers: ['alertname="FoobarSiteDown"'],
                target_matchers: ['alertname=~"FoobarWebServerDown|FoobarServerErrors|FoobarSlowResponses"'],
                equal: ["site"],
            },
        ]);
        const rules = renderAlertRules({ scrapeIntervalSeconds: 5, databases: true, semiSync: true, loadBalancers: 2 });
        for (const alert of ["FoobarSiteDown", ...SILENCED_BY_SITE_DOWN]) assert.match(rules, new RegExp(`alert: ${alert}\\n`), alert);
    });
});

describe("alertmanager flags", () => {
    it("alone: no cluster (an empty listen address), Debian's paths", () => {
        assert.equal(
            renderAlertmanagerDefaults({ listenAddress: "10.77.3.7", listenPort: 9093 }).split("\n")[1],
            `ARGS="--config.file=${ALERTMANAGER_CONFIG_PATH} --storage.path=${ALERTMANAGER_DATA_PATH} --web.listen-address=10.77.3.7:9093 --cluster.listen-address="`,
        );
    });

    it("a pair: each gossips on its own address and names the other as its peer", () => {
        assert.equal(
            renderAlertmanagerDefaults({
                listenAddress: "10.77.3.7",
                listenPort: 9093,
                cluster: { self: "10.77.3.7:9094", peers: ["10.77.3.8:9094"] },
            }).split("\n")[1],
            `ARGS="--config.file=${ALERTMANAGER_CONFIG_PATH} --storage.path=${ALERTMANAGER_DATA_PATH} --web.listen-address=10.77.3.7:9093` +
                ` --cluster.listen-address=10.77.3.7:9094 --cluster.advertise-address=10.77.3.7:9094 --cluster.peer=10.77.3.8:9094"`,
        );
    });

    it("refuses an address that would split into more words in the shell", () => {
        assert.throws(
            () =>
                renderAlertmanagerDefaults({
                    listenAddress: "10.77.3.7",
                    listenPort: 9093,
                    cluster: { self: "10.77.3.4:9094 --x", peers: [] },
                }),
            /refusing to render an Alertmanager cluster address "10.77.3.4:9094 --x"/,
        );
    });
});
