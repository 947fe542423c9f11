// Alerts that reach someone, proven on a running pair: a webhook stand-in (an HTTP server of the
// test, on the stack's edge network's gateway address) is monitoring.alerts.webhookUrl; a web server
// is SIGKILLed and kept down, then started again. Both Prometheus servers send every alert to both
// Alertmanagers, which are one cluster: the stand-in must get exactly one firing and one resolved
// notification of FoobarWebServerDown, the firing one within 40 s of the kill.
import * as assert from "node:assert/strict";
import * as http from "http";
import { AddressInfo } from "net";
import { docker, dockerRun, sleep } from "./docker";
import { waitFor } from "./poll";

export const WEBHOOK_PATH = "/alertmanager";

/** One POST of Alertmanager's webhook (its JSON, version 4), as received. */
export interface Notification {
    readonly at: number;
    readonly status: "firing" | "resolved";
    readonly alertname: string;
    readonly alerts: number;
}

export interface WebhookStandin {
    readonly url: string;
    readonly received: Notification[];
    close(): Promise<void>;
}

/**
 * The stand-in listens on `host`:`port`: the gateway of the stack's edge network (its own network,
 * the only one with a route out of the containers), once the deploy has made it.
 */
export async function startWebhookStandin(host: string, port: number): Promise<WebhookStandin> {
    const received: Notification[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
            try {
                const payload = JSON.parse(body) as {
                    status: "firing" | "resolved";
                    commonLabels: Record<string, string>;
                    alerts: unknown[];
                };
                received.push({
                    at: Date.now(),
                    status: payload.status,
                    alertname: payload.commonLabels.alertname ?? "?",
                    alerts: payload.alerts.length,
                });
                res.writeHead(200).end();
            } catch {
                res.writeHead(400).end();
            }
        });
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    const bound = (server.address() as AddressInfo).port;
    return {
        url: `http://${host}:${bound}${WEBHOOK_PATH}`,
        received,
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

/** The Alertmanagers' view of their cluster: each must list both members before the proof starts. */
async function clusterPeers(container: string, address: string): Promise<number> {
    const r = await dockerRun(["exec", container, "curl", "-fsS", `http://${address}:9093/api/v2/status`]);
    if (r.code !== 0) return 0;
    const status = JSON.parse(r.stdout) as { cluster?: { status?: string; peers?: unknown[] } };
    return status.cluster?.status === "ready" ? (status.cluster.peers?.length ?? 0) : 0;
}

export interface DeliveryProof {
    readonly standin: WebhookStandin;
    /** Each Alertmanager's container and the address it listens on. */
    readonly alertmanagers: ReadonlyArray<{ readonly container: string; readonly address: string }>;
    /** The web server's nginx container to kill. */
    readonly victim: string;
    /** Resolves once every HAProxy sees the web server up again. */
    readonly waitBack: () => Promise<void>;
}

export async function proveAlertDelivery(proof: DeliveryProof): Promise<string> {
    const { standin, victim } = proof;
    const peers = proof.alertmanagers.length;
    for (const am of proof.alertmanagers) {
        await waitFor(`${am.container} in a cluster of ${peers}`, 60_000, async () =>
            (await clusterPeers(am.container, am.address)) === peers ? true : undefined,
        );
    }
    const about = (status: Notification["status"]) =>
        standin.received.filter((n) => n.alertname === "FoobarWebServerDown" && n.status === status);
    assert.deepEqual(about("firing"), [], "FoobarWebServerDown before the kill");
    // Kept down: Docker would restart a SIGKILLed container at once (restart: unless-stopped).
    await docker(["update", "--restart=no", victim]);
    await docker(["kill", "--signal", "KILL", victim]);
    const killedAt = Date.now();
    const firedMs = await waitFor("a firing FoobarWebServerDown at the webhook", 90_000, async () => {
        const [first] = about("firing");
        return first ? first.at - killedAt : undefined;
    });
    await docker(["start", victim]);
    await docker(["update", "--restart=unless-stopped", victim]);
    const startedAt = Date.now();
    await proof.waitBack();
    const resolvedMs = await waitFor("a resolved FoobarWebServerDown at the webhook", 180_000, async () => {
        const [first] = about("resolved");
        return first ? first.at - startedAt : undefined;
    });
    // The other Alertmanager would send its duplicate after its peer timeout (15 s): wait past it.
    await sleep(30_000);
    const log = standin.received.map((n) => `${n.status} ${n.alertname} (${n.alerts}) +${n.at - killedAt} ms`).join("; ");
    assert.equal(about("firing").length, 1, `firing notifications: ${log}`);
    assert.equal(about("resolved").length, 1, `resolved notifications: ${log}`);
    assert.ok(firedMs <= 40_000, `FoobarWebServerDown reached the webhook ${firedMs} ms after the kill (bound 40 s)`);
    return `firing ${firedMs} ms after the SIGKILL, resolved ${resolvedMs} ms after the start; all received: ${log}`;
}
