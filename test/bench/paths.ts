// Targets 2 and 3: the static file and the dynamic page through the whole path (HTTPS keep-alive
// on HAProxy's published port), each against its reference measured in the same run.
import { STATIC_ROOT } from "../../components/render/nginx";
import { lines } from "../../components/render/text";
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

/** The run at HAProxy's own address only explains the published port's figure: a shorter run does. */
const EXPLAIN_SECONDS = 4;

const wrk = (url: string, host?: string, seconds = SECONDS): Promise<WrkResult> => runWrk({ url, host, connections: CONNECTIONS, seconds });

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
    log("static: through HAProxy's published port");
    const measured = await wrk(`${stack.base}${STATIC_PATH}`, stack.host);
    log("static: at HAProxy's own edge address (no docker-proxy)");
    const direct = await wrk(`https://${stack.haproxy.edge}${STATIC_PATH}`, stack.host, EXPLAIN_SECONDS);
    const share = measured.rps / reference.rps;
    const ok = share >= STATIC_TARGET.ratio && measured.p99Ms <= STATIC_TARGET.p99Ms && failedRequests(measured) === 0;
    return {
        id: "2",
        what: `Static file, HTTPS keep-alive through HAProxy's published port, ${CONNECTIONS} connections`,
        target: `>= ${STATIC_TARGET.ratio.toFixed(2)}x plain nginx, p99 <= ${STATIC_TARGET.p99Ms} ms`,
        measured: `${fmtRate(measured.rps)} req/s, p99 ${fmtMs(measured.p99Ms)}`,
        reference: `plain nginx container, same file, same network (HTTP): ${fmtRate(reference.rps)} req/s, p99 ${fmtMs(reference.p99Ms)}`,
        ratio: ratio(measured.rps, reference.rps),
        met: ok,
        details: [
            `Through HAProxy's published port (127.0.0.1:${stack.site.httpsPort}, docker-proxy in between): ${describeWrk(measured)}.`,
            `At HAProxy's own address on the edge network (${stack.haproxy.edge}:443, no docker-proxy; ${EXPLAIN_SECONDS} s): ${describeWrk(direct)}; ${ratio(direct.rps, reference.rps)} the reference.`,
            `Reference, a plain nginx (the stack's image, access_log off, sendfile on) at ${nginx.address}:80: ${describeWrk(reference)}.`,
            `wrk ${SECONDS} s, 2 threads, ${CONNECTIONS} connections, GET ${STATIC_PATH}; ratio ${share.toFixed(2)} (target ${STATIC_TARGET.ratio}).`,
        ],
    };
}

export async function dynamicRow(stack: BenchStack): Promise<Row> {
    log("dynamic: / through the whole path");
    const measured = await wrk(`${stack.base}/`, stack.host);
    const app = `${stack.webServers[0]}-app`;
    const appAddress = addressOf(stack.captured, app, stack.webServers[0]);
    log(`dynamic reference: the app directly at ${appAddress}:3000`);
    const direct = await wrk(`http://${appAddress}:3000/`, stack.site.domain);
    const old = OLD_MAIN_DYNAMIC;
    const times = measured.rps / old.rps;
    const ok = times >= DYNAMIC_TARGET.times && measured.p99Ms <= DYNAMIC_TARGET.p99Ms && failedRequests(measured) === 0;
    return {
        id: "3",
        what: `Dynamic page \`/\`, HTTPS keep-alive through the whole path, ${CONNECTIONS} connections`,
        target: `>= ${DYNAMIC_TARGET.times}x old main (>= ${fmtRate(old.rps * DYNAMIC_TARGET.times)} req/s), p99 <= ${DYNAMIC_TARGET.p99Ms} ms`,
        measured: `${fmtRate(measured.rps)} req/s, p50 ${fmtMs(measured.p50Ms)}, p99 ${fmtMs(measured.p99Ms)}, ${failedRequests(measured)} failed`,
        reference:
            `old main (${old.commit}, recorded ${old.date}): ${old.rps} req/s, p50 ${old.p50Ms} ms, p99 ${old.p99Ms} ms; ` +
            `the app directly: ${fmtRate(direct.rps)} req/s, p99 ${fmtMs(direct.p99Ms)}`,
        ratio: `${ratio(measured.rps, old.rps, 1)} old; ${ratio(measured.rps, direct.rps)} app direct`,
        met: ok,
        details: [
            `Through the whole path (HAProxy's published port, nginx, app, MariaDB): ${describeWrk(measured)}.`,
            `The app directly (${app} at ${appAddress}:3000 over its server's bridge network, plain HTTP): ${describeWrk(direct)}.`,
            `Old main: the constant OLD_MAIN_DYNAMIC in test/bench/paths.ts (commit ${old.commit}, this machine, ${old.connections} connections, ${old.seconds} s).`,
            `wrk ${SECONDS} s, 2 threads, ${CONNECTIONS} connections; failed = socket errors + timeouts (10 s) + status >= 400.`,
        ],
    };
}
