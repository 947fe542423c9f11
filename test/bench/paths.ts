// Targets 2 and 3: the static file and the dynamic page through the whole path (HTTPS keep-alive at
// HAProxy's own address on the edge network, the references' network), each against its reference
// measured in the same run; the published port (through docker-proxy) is a detail of each.
import * as os from "os";
import { STATIC_ROOT } from "../../components/render/nginx";
import { lines } from "../../components/render/text";
import { CpuDuring, cpuDuring, stackContainersByService } from "./idle";
import { Row, log, ratio } from "./rows";
import { BenchStack, addressOf } from "./stack";
import { freeAddress, startThrowaway } from "./throwaway";
import { WrkResult, describeWrk, failedRequests, fmtMs, fmtRate, runWrk } from "./wrk";

const CONNECTIONS = 32;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const STATIC_PATH = "/static/style.css";

/**
 * The dynamic page on the old main (commit 93de9a4, before issue 9's work), measured on this
 * machine on 2026-11-30 with wrk, 32 connections, 8 s, through the whole path: the reference that
 * "10x today's throughput" is counted against. The old code cannot be re-measured in every run.
 */
export const OLD_MAIN_DYNAMIC = { commit: "93de9a4", date: "2026-11-30", rps: 152, p50Ms: 182, p99Ms: 574, connections: 32, seconds: 8 };

const STATIC_TARGET = { ratio: 0.4, p99Ms: 10 };
const DYNAMIC_TARGET = { times: 10, p99Ms: 50 };

/** The reference nginx: the stack's image, access log off, sendfile, nothing else. */
function plainNginxConf(): string {
    return lines(
        "user www-data;",
        "worker_processes auto;",
        "pid /run/nginx.pid;",
        "events {",
        "    worker_connections 1024;",
        "}",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    access_log off;",
        "    sendfile on;",
        "    server {",
        "        listen 80 default_server;",
        "        location /static/ {",
        `            alias ${STATIC_ROOT}/;`,
        "        }",
        "    }",
        "}",
    );
}

const wrk = (url: string, host?: string, seconds = SECONDS): Promise<WrkResult> => runWrk({ url, host, connections: CONNECTIONS, seconds });

/** What docker-proxy does, for the details; said as the reason only when the published port's figure is the lower. */
const DOCKER_PROXY_WHAT =
    "docker-proxy, Docker's userland proxy for ports published on 127.0.0.1, copies every byte in user space between two sockets, " +
    'on the same cores as HAProxy and wrk; dockerd\'s `"userland-proxy": false` (daemon.json) replaces it with iptables NAT, ' +
    "a setting of the engine, not of the stack";

const dockerProxy = (published: WrkResult, direct: WrkResult): string =>
    published.rps < direct.rps ? `It is lower because ${DOCKER_PROXY_WHAT}.` : `It is not lower in this run; ${DOCKER_PROXY_WHAT}.`;

export async function staticRow(stack: BenchStack): Promise<Row> {
    const nginx = await startThrowaway(stack, {
        role: "plain-nginx",
        image: "foobar-infra/nginx:local",
        network: stack.edgeNetwork,
        address: freeAddress(stack, "edge", 0),
        port: 80,
        files: { "/etc/nginx/nginx.conf": plainNginxConf() },
    });
    let reference: WrkResult;
    try {
        log(`static reference: plain nginx at ${nginx.address}`);
        reference = await wrk(`http://${nginx.address}${STATIC_PATH}`);
    } finally {
        await nginx.remove();
    }
    log(`static: at HAProxy's own edge address ${stack.haproxy.edge}:443 (no docker-proxy)`);
    const measured = await wrk(`https://${stack.haproxy.edge}${STATIC_PATH}`, stack.host);
    log("static: through HAProxy's published port (docker-proxy)");
    const published = await wrk(`${stack.base}${STATIC_PATH}`, stack.host);
    const share = measured.rps / reference.rps;
    const ok = share >= STATIC_TARGET.ratio && measured.p99Ms <= STATIC_TARGET.p99Ms && failedRequests(measured) === 0;
    return {
        id: "2",
        what: `Static file, HTTPS keep-alive at HAProxy's address on the edge network, ${CONNECTIONS} connections`,
        target: `>= ${STATIC_TARGET.ratio.toFixed(2)}x plain nginx, p99 <= ${STATIC_TARGET.p99Ms} ms`,
        measured: `${fmtRate(measured.rps)} req/s, p99 ${fmtMs(measured.p99Ms)}`,
        reference: `plain nginx container, same file, same network (HTTP): ${fmtRate(reference.rps)} req/s, p99 ${fmtMs(reference.p99Ms)}`,
        ratio: ratio(measured.rps, reference.rps),
        met: ok,
        details: [
            `At HAProxy's own address on the edge network (https://${stack.haproxy.edge}:443, the reference's network, no docker-proxy): ${describeWrk(measured)}.`,
            `Reference, a plain nginx (the stack's image, access_log off, sendfile on) at ${nginx.address}:80 on the same network: ${describeWrk(reference)}.`,
            `Through HAProxy's published port (127.0.0.1:${stack.site.httpsPort}, docker-proxy in between): ${describeWrk(published)}; ` +
                `${ratio(published.rps, reference.rps)} the reference. ${dockerProxy(published, measured)}`,
            `wrk ${SECONDS} s each, 2 threads, ${CONNECTIONS} connections, GET ${STATIC_PATH}; ratio ${share.toFixed(2)} (target ${STATIC_TARGET.ratio}).`,
        ],
    };
}

/** The groups of the CPU-per-request line, by foobar.service label; any other label counts as "other". */
const CPU_GROUPS: ReadonlyArray<readonly [string, string]> = [
    ["app", "app"],
    ["nginx", "nginx"],
    ["haproxy", "haproxy"],
    ["mariadb-primary", "mariadb primary"],
    ["mariadb-replica", "replicas"],
];

const fmtCpuMs = (ms: number): string => (ms >= 10 ? ms.toFixed(1) : ms >= 0.1 ? ms.toFixed(2) : ms.toFixed(3));

/** The CPU-per-request and ceiling lines of row 3, from the containers' and the machine's CPU over the run. */
function cpuPerRequest(run: CpuDuring<WrkResult>, services: ReadonlyArray<{ id: string; service: string }>): string[] {
    const requests = run.result.requests;
    if (!(requests > 0)) return ["CPU per request: not computed, wrk completed no request."];
    const cores = os.cpus().length;
    const byGroup = new Map<string, number>();
    const otherLabels = new Set<string>();
    for (const { id, service } of services) {
        const group = CPU_GROUPS.find(([label]) => label === service)?.[1] ?? "other";
        if (group === "other") otherLabels.add(service || "unlabelled");
        byGroup.set(group, (byGroup.get(group) ?? 0) + (run.containerMs.get(id) ?? 0));
    }
    const total = [...byGroup.values()].reduce((a, b) => a + b, 0) / requests;
    const part = (group: string) => `${group} ${fmtCpuMs((byGroup.get(group) ?? 0) / requests)}`;
    const machineMs = run.machineBusyMs / requests;
    const ceiling = (cores * 1000) / total;
    return [
        `CPU per request: ${fmtCpuMs(total)} ms, of which ${CPU_GROUPS.map(([, g]) => part(g)).join(", ")}, ` +
            `${part("other")} (${[...otherLabels].sort().join(", ") || "none"}). ` +
            `The ${services.length} stack containers' cgroup CPU time over the headline run (${(run.wallMs / 1000).toFixed(1)} s), ` +
            `divided by the ${requests.toLocaleString("en-US")} requests wrk completed. ` +
            `Machine busy over the same window (/proc/stat): ${run.machinePct.toFixed(0)}% of one core (${cores * 100}% = all ${cores} cores), ` +
            `${fmtCpuMs(machineMs)} ms per request with wrk, the kernel's network path and dockerd included.`,
        `Throughput ceiling this implies on this machine: ${cores} cores * 1000 / ${fmtCpuMs(total)} ms = ${fmtRate(ceiling)} req/s ` +
            `if the stack's containers had every core to themselves; counting everything the machine did per request ` +
            `(${fmtCpuMs(machineMs)} ms), ${fmtRate((cores * 1000) / machineMs)} req/s.`,
    ];
}

export async function dynamicRow(stack: BenchStack): Promise<Row> {
    const services = await stackContainersByService(stack.name);
    log(
        `dynamic: / through the whole path at HAProxy's own edge address ${stack.haproxy.edge}:443, sampling ${services.length} containers' CPU`,
    );
    const run = await cpuDuring(
        services.map((s) => s.id),
        () => wrk(`https://${stack.haproxy.edge}/`, stack.host),
    );
    const measured = run.result;
    log("dynamic: / through HAProxy's published port (docker-proxy)");
    const published = await wrk(`${stack.base}/`, stack.host);
    const app = `${stack.webServers[0]}-app`;
    const appAddress = addressOf(stack.captured, app, stack.webServers[0]);
    log(`dynamic reference: the app directly at ${appAddress}:3000`);
    const direct = await wrk(`http://${appAddress}:3000/`, stack.site.domain);
    const old = OLD_MAIN_DYNAMIC;
    const times = measured.rps / old.rps;
    const ok = times >= DYNAMIC_TARGET.times && measured.p99Ms <= DYNAMIC_TARGET.p99Ms && failedRequests(measured) === 0;
    return {
        id: "3",
        what: `Dynamic page \`/\`, HTTPS keep-alive through the whole path from HAProxy's edge address, ${CONNECTIONS} connections`,
        target: `>= ${DYNAMIC_TARGET.times}x old main (>= ${fmtRate(old.rps * DYNAMIC_TARGET.times)} req/s), p99 <= ${DYNAMIC_TARGET.p99Ms} ms`,
        measured: `${fmtRate(measured.rps)} req/s, p50 ${fmtMs(measured.p50Ms)}, p99 ${fmtMs(measured.p99Ms)}, ${failedRequests(measured)} failed`,
        reference:
            `old main (${old.commit}, recorded ${old.date}): ${old.rps} req/s, p50 ${old.p50Ms} ms, p99 ${old.p99Ms} ms; ` +
            `the app directly: ${fmtRate(direct.rps)} req/s, p99 ${fmtMs(direct.p99Ms)}`,
        ratio: `${ratio(measured.rps, old.rps, 1)} old; ${ratio(measured.rps, direct.rps)} app direct`,
        met: ok,
        details: [
            `Through the whole path from HAProxy's own address on the edge network (https://${stack.haproxy.edge}:443, HAProxy, nginx, app, MariaDB; no docker-proxy): ${describeWrk(measured)}.`,
            ...cpuPerRequest(run, services),
            `Through HAProxy's published port (127.0.0.1:${stack.site.httpsPort}, docker-proxy in between): ${describeWrk(published)}; ` +
                `${ratio(published.rps, old.rps, 1)} old main. ${dockerProxy(published, measured)}`,
            `The app directly (${app} at ${appAddress}:3000 over its server's bridge network, plain HTTP): ${describeWrk(direct)}.`,
            `Old main: the constant OLD_MAIN_DYNAMIC in test/bench/paths.ts (commit ${old.commit}, this machine, ${old.connections} connections, ${old.seconds} s).`,
            `wrk ${SECONDS} s each, 2 threads, ${CONNECTIONS} connections; failed = socket errors + timeouts (10 s) + status >= 400.`,
        ],
    };
}
