// Asks a running Prometheus (the stack's own, on loopback or the stack's network) what it sees.
import * as http from "http";
import { waitFor } from "./poll";

/** Prometheus's URL with the operator's login in it (every endpoint asks for it; node's http sends it as basic auth). */
export function withLogin(baseUrl: string, password: string): string {
    const url = new URL(baseUrl);
    url.username = "operator";
    url.password = password;
    return url.toString();
}

export interface Target {
    readonly job: string;
    /** The server the target runs on, as the stack labels it (absent on Prometheus's own). */
    readonly host?: string;
    readonly health: string;
    readonly scrapeUrl: string;
}

export interface Alert {
    readonly name: string;
    readonly state: string;
    readonly labels: Record<string, string>;
}

function getJson<T>(url: string): Promise<T> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { timeout: 5000 }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString();
                if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${text}`));
                else resolve((JSON.parse(text) as { data: T }).data);
            });
        });
        req.on("timeout", () => req.destroy(new Error(`${url}: timed out`)));
        req.on("error", reject);
    });
}

export async function targets(baseUrl: string): Promise<Target[]> {
    const data = await getJson<{ activeTargets: Array<{ labels: Record<string, string>; health: string; scrapeUrl: string }> }>(
        new URL("api/v1/targets", baseUrl).toString(),
    );
    return data.activeTargets.map((t) => ({ job: t.labels.job, host: t.labels.host, health: t.health, scrapeUrl: t.scrapeUrl }));
}

export interface Sample {
    readonly labels: Record<string, string>;
    readonly value: number;
}

/** An instant PromQL query: one sample per series. */
export async function query(baseUrl: string, promql: string): Promise<Sample[]> {
    const url = new URL("api/v1/query", baseUrl);
    url.searchParams.set("query", promql);
    const data = await getJson<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(url.toString());
    return data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}

/** An instant query's values by the stack's `host` label, e.g. { "server-1": 1, "server-2": 1 }. */
export async function valuesByHost(baseUrl: string, promql: string): Promise<Record<string, number>> {
    return Object.fromEntries((await query(baseUrl, promql)).map((r) => [r.labels.host, r.value]).sort());
}

export async function alerts(baseUrl: string): Promise<Alert[]> {
    const data = await getJson<{ alerts: Array<{ labels: Record<string, string>; state: string }> }>(
        new URL("api/v1/alerts", baseUrl).toString(),
    );
    return data.alerts.map((a) => ({ name: a.labels.alertname, state: a.state, labels: a.labels }));
}

/**
 * The alerts but FoobarClockNotSynchronised on the servers whose kernel itself reports the clock
 * unsynchronised (node_timex_sync_status 0, as the node exporter reads adjtimex): a machine without
 * NTP, as a CI machine may be, where that alert is true rather than noise. Every container shares
 * the host's clock, so it then pends on every server alike.
 */
export async function alertsButUnsyncedClock(baseUrl: string): Promise<Alert[]> {
    const status = await valuesByHost(baseUrl, 'node_timex_sync_status{job="node"}');
    const unsynced = new Set(Object.keys(status).filter((host) => status[host] === 0));
    return (await alerts(baseUrl)).filter((a) => !(a.name === "FoobarClockNotSynchronised" && unsynced.has(a.labels.host)));
}

/** Waits until each job has a target and every target is scraped and up; returns them. */
export function waitTargetsUp(baseUrl: string, jobs: readonly string[], timeoutMs: number): Promise<Target[]> {
    return waitFor(`Prometheus targets ${jobs.join(", ")} up`, timeoutMs, async () => {
        const found = await targets(baseUrl);
        const up = jobs.every((job) => found.some((t) => t.job === job)) && found.every((t) => t.health === "up");
        return up ? found : undefined;
    });
}
