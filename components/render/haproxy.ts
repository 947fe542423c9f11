// haproxy.cfg for the load balancer. Pure: plain values in, the file's text out.
import { LbAlgorithm } from "../config/args";
import { assertSafeToken, lines } from "./text";

export const HAPROXY_CONFIG_PATH = "/etc/haproxy/haproxy.cfg";
export const HAPROXY_CERT_PATH = "/etc/haproxy/certs/site.pem";
/** Proxy names, as HAProxy's metrics label them (proxy="www", proxy="web"). */
export const HAPROXY_FRONTEND = "www";
export const HAPROXY_BACKEND = "web";
/** The header carrying HAProxy's id of a client request to the app (app/src/server.ts reads it). */
export const REQUEST_ID_HEADER = "X-Request-Id";

export interface HaproxyBackendServer {
    readonly name: string;
    readonly address: string;
    readonly port: number;
    /** Takes traffic only when every non-backup server is down (active-passive). */
    readonly backup: boolean;
}

export interface HaproxyConfigInput {
    readonly domain: string;
    readonly algorithm: LbAlgorithm;
    readonly servers: readonly HaproxyBackendServer[];
    readonly healthCheck: { readonly intervalMs: number; readonly timeoutMs: number; readonly fall: number; readonly rise: number };
    readonly httpPort: number;
    readonly httpsPort: number;
    /** The HTTPS port clients see; differs from httpsPort when Docker publishes 443 elsewhere. */
    readonly publicHttpsPort: number;
    /** Internal address:port for stats and Prometheus metrics; never published. */
    readonly statsBind: string;
}

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
    assertSafeToken("domain", input.domain);
    input.servers.forEach((s) => {
        assertSafeToken("server name", s.name);
        assertSafeToken("server address", s.address);
    });
    const hc = input.healthCheck;
    // The Host header may carry the HTTP port (":80", or the published one); rebuild it with the
    // HTTPS port clients see, left out when it is 443. (`redirect scheme` would keep ":80".)
    const httpsSuffix = input.publicHttpsPort === 443 ? "" : `:${input.publicHttpsPort}`;
    const redirect = `http-request redirect location https://%[req.hdr(host),field(1,:)]${httpsSuffix}%[capture.req.uri] code 301 unless { ssl_fc }`;
    return lines(
        "# Rendered by foobar-infra (components/render/haproxy.ts). Do not edit by hand.",
        "global",
        "    log stdout format raw local0 info",
        "    user haproxy",
        "    group haproxy",
        "    maxconn 4096",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        "    option forwardfor",
        "    timeout connect 1s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 5s",
        `    timeout check ${hc.timeoutMs}ms`,
        "    # A request that fails on one server is replayed on another: a dying server costs no errors.",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on all-retryable-errors",
        "",
        `frontend ${HAPROXY_FRONTEND}`,
        `    bind :${input.httpPort}`,
        `    bind :${input.httpsPort} ssl crt ${HAPROXY_CERT_PATH} alpn h2,http/1.1`,
        `    ${redirect}`,
        "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
        "    # One id per client request, the same on every retry: the app records a visit once per id.",
        `    http-request set-header ${REQUEST_ID_HEADER} %[uuid()]`,
        '    http-response set-header Strict-Transport-Security "max-age=31536000" if { ssl_fc }',
        `    default_backend ${HAPROXY_BACKEND}`,
        "",
        `backend ${HAPROXY_BACKEND}`,
        `    balance ${input.algorithm}`,
        "    option httpchk",
        `    http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host ${input.domain}`,
        "    http-check expect status 200",
        // A connection refused on live traffic takes the server out at once, not after `fall`
        // checks: only then can a retry land on a backup server (redispatch never picks one
        // while an active server is still up).
        `    default-server check inter ${hc.intervalMs}ms fall ${hc.fall} rise ${hc.rise} observe layer4 error-limit 1 on-error mark-down`,
        ...input.servers.map((s) => `    server ${s.name} ${s.address}:${s.port}${s.backup ? " backup" : ""}`),
        "",
        "frontend stats",
        `    bind ${input.statsBind}`,
        "    http-request use-service prometheus-exporter if { path /metrics }",
        "    stats enable",
        "    stats uri /stats",
        "    stats refresh 5s",
        "    no log",
    );
}

/** HAProxy reads the certificate and its key from one PEM file. */
export function haproxyCertBundle(certificatePem: string, privateKeyPem: string): string {
    return `${certificatePem.trim()}\n${privateKeyPem.trim()}\n`;
}
