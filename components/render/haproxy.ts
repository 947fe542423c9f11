// haproxy.cfg for the load balancer. Pure: plain values in, the file's text out.
import { LbAlgorithm } from "../config/args";
import { isDnsName } from "../config/net";
import { assertSafeToken, lines } from "./text";

export const HAPROXY_CONFIG_PATH = "/etc/haproxy/haproxy.cfg";
export const HAPROXY_CERT_PATH = "/etc/haproxy/certs/site.pem";
/** Proxy names, as HAProxy's metrics label them (proxy="www", proxy="web"). */
export const HAPROXY_FRONTEND = "www";
export const HAPROXY_BACKEND = "web";
/** The header carrying HAProxy's id of a client request to the app (app/src/server.ts reads it). */
export const REQUEST_ID_HEADER = "X-Request-Id";
/** The in-memory ring that holds every request's log line (read: `show events requests`, HAPROXY_ADMIN_SOCKET). */
export const HAPROXY_LOG_RING = "requests";
/** The local CLI socket (root and the haproxy group only): `show events`, `show stat`. */
export const HAPROXY_ADMIN_SOCKET = "/run/haproxy/admin.sock";
/**
 * What HAProxy gives a server to answer. A server that died without a word (SIGKILL, power loss:
 * no RST) is noticed by this timeout alone, and the request is then replayed on another server
 * (retry-on response-timeout): so it bounds the slowest answer a client sees during a failover.
 * The app answers or gives up within its page deadline (app/src/poolConfig.ts), below this.
 */
export const SERVER_TIMEOUT_MS = 2000;

/**
 * Mozilla's intermediate TLS profile (guideline 5.7): TLS 1.2 with ECDHE + AEAD suites for ECDSA
 * and RSA certificates alike (its DHE suites left out: they need a dhparam file), TLS 1.3 with its
 * three suites, and its key-exchange groups.
 */
export const TLS_CURVES = "X25519:prime256v1:secp384r1";
export const TLS12_CIPHERS = [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");
export const TLS13_CIPHERSUITES = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

/** Two years, as Mozilla's profile asks; sent over TLS only (RFC 6797: never over plain HTTP). */
export const HSTS = "max-age=63072000";
/**
 * On every response, HAProxy's own included. The page (app/src/page.ts) loads only its own
 * stylesheet and icon and has no script, form or frame, so the policy allows just those two kinds.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy":
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

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
    /** Set when this HAProxy is one of a pair behind one floating address (keepalived's, or an NLB's). */
    readonly pair?: PairInput;
}

export interface PairInput {
    /**
     * address:port of the health frontend whose /healthz (HAPROXY_HEALTH_URI) says whether this
     * HAProxy should get new connections: 200 while it runs, 503 from the moment it begins to stop.
     * keepalived's track script and an NLB's health check read it.
     */
    readonly healthBind: string;
    /**
     * How long HAProxy keeps serving after its stop signal (global `grace`) before it closes its
     * listeners: the time the address needs to move away. Meanwhile every response says
     * `Connection: close`, so keep-alive clients reconnect, and land on the other HAProxy once the
     * address has moved, instead of losing a request on a connection that is torn down.
     */
    readonly stopGraceMs: number;
    /**
     * The front (an NLB) passes each client's address in a PROXY v2 header: the traffic binds
     * require it, and so does the health frontend (an NLB sends its health checks with one too).
     */
    readonly proxyProtocol: boolean;
}

/** The path a pair's health frontend answers on (PairInput.healthBind). */
export const HAPROXY_HEALTH_URI = "/healthz";

export function renderHaproxyConfig(input: HaproxyConfigInput): string {
    assertSafeToken("domain", input.domain);
    input.servers.forEach((s) => {
        assertSafeToken("server name", s.name);
        assertSafeToken("server address", s.address);
    });
    // The domain reaches a log-format string (the redirect), where "%" would be read as a directive.
    if (!isDnsName(input.domain)) throw new Error(`refusing to render domain ${JSON.stringify(input.domain)}: not a DNS name`);
    const hc = input.healthCheck;
    // To the configured domain and the HTTPS port clients see (left out when it is 443), never to
    // the Host header the client sent. `redirect prefix` appends the request's path and query only
    // (an absolute-form request's host is dropped too).
    const httpsSuffix = input.publicHttpsPort === 443 ? "" : `:${input.publicHttpsPort}`;
    const redirect = `http-request redirect prefix https://${input.domain}${httpsSuffix} code 301 unless { ssl_fc }`;
    const { pair } = input;
    if (pair) assertSafeToken("health bind", pair.healthBind);
    const acceptProxy = pair?.proxyProtocol ? " accept-proxy" : "";
    return lines(
        "# Rendered by foobar-infra (components/render/haproxy.ts). Do not edit by hand.",
        "global",
        // Every request's line goes to a ring in memory: no syscall per request (the line through
        // the container's stdout cost the static path most of its throughput). Requests that
        // failed (log-separate-errors raises them to "err") also go to stdout, for `docker logs`.
        `    log ring@${HAPROXY_LOG_RING} local0 info`,
        "    log stdout format raw local0 err",
        `    stats socket ${HAPROXY_ADMIN_SOCKET} mode 660 level admin`,
        "    user haproxy",
        "    group haproxy",
        "    maxconn 4096",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "    # Mozilla's intermediate profile, for ECDSA and RSA certificates; ECDHE only (DHE would need a dhparam file).",
        `    ssl-default-bind-curves ${TLS_CURVES}`,
        `    ssl-default-bind-ciphers ${TLS12_CIPHERS}`,
        `    ssl-default-bind-ciphersuites ${TLS13_CIPHERSUITES}`,
        ...(pair ? [`    grace ${pair.stopGraceMs}ms`] : []),
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option log-separate-errors",
        "    option dontlognull",
        "    option forwardfor",
        // Also the connect timeout of a health check: a server that died in silence (no SYN-ACK)
        // fails two checks (with fastinter) and leaves rotation within about 2.5 s.
        "    timeout connect 500ms",
        "    timeout client 30s",
        `    timeout server ${SERVER_TIMEOUT_MS}ms`,
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 5s",
        `    timeout check ${hc.timeoutMs}ms`,
        "    # A request that fails on one server is replayed on another: a dying server costs no errors.",
        "    # all-retryable-errors includes response-timeout: a request to a server that died in silence.",
        "    retries 3",
        "    option redispatch 1",
        "    retry-on all-retryable-errors",
        "",
        `frontend ${HAPROXY_FRONTEND}`,
        `    bind :${input.httpPort}${acceptProxy}`,
        `    bind :${input.httpsPort} ssl crt ${HAPROXY_CERT_PATH} alpn h2,http/1.1${acceptProxy}`,
        `    ${redirect}`,
        "    http-request set-header X-Forwarded-Proto https if { ssl_fc }",
        "    # One id per client request, the same on every retry: the app records a visit once per id.",
        `    http-request set-header ${REQUEST_ID_HEADER} %[uuid()]`,
        "    # After every rule, on every response: the servers', and HAProxy's own redirects and errors.",
        `    http-after-response set-header Strict-Transport-Security "${HSTS}" if { ssl_fc }`,
        ...Object.entries(SECURITY_HEADERS).map(([name, value]) => `    http-after-response set-header ${name} "${value}"`),
        ...(pair
            ? [
                  "    # Stopping (the grace time): each connection ends after its response, so clients reconnect where the address went.",
                  "    http-after-response set-header Connection close if { stopping }",
              ]
            : []),
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
        // fastinter: once a check has failed (or passed on a down server), the next come quickly, so
        // `fall` (or `rise`) checks take little longer than one interval.
        `    default-server check inter ${hc.intervalMs}ms fastinter ${fastInterMs(hc.intervalMs)}ms fall ${hc.fall} rise ${hc.rise} observe layer4 error-limit 1 on-error mark-down`,
        ...input.servers.map((s) => `    server ${s.name} ${s.address}:${s.port}${s.backup ? " backup" : ""}`),
        "",
        `ring ${HAPROXY_LOG_RING}`,
        '    description "every request\'s log line"',
        "    format raw",
        "    maxlen 2048",
        "    # Some 20,000 of the most recent request lines (about 200 bytes each).",
        "    size 4194304",
        "",
        "frontend stats",
        `    bind ${input.statsBind}`,
        "    http-request use-service prometheus-exporter if { path /metrics }",
        "    stats enable",
        "    stats uri /stats",
        "    stats refresh 5s",
        "    no log",
        ...(pair
            ? [
                  "",
                  "# Whether this HAProxy should get new connections: keepalived's track script and an NLB's health check ask.",
                  "frontend health",
                  `    bind ${pair.healthBind}${acceptProxy}`,
                  `    monitor-uri ${HAPROXY_HEALTH_URI}`,
                  "    monitor fail if { stopping }",
                  "    no log",
              ]
            : []),
    );
}

/** The check interval while a server changes state: a quarter of the interval, at least 100 ms. */
export function fastInterMs(intervalMs: number): number {
    return Math.max(100, Math.round(intervalMs / 4));
}

/** HAProxy reads the certificate and its key from one PEM file. */
export function haproxyCertBundle(certificatePem: string, privateKeyPem: string): string {
    return `${certificatePem.trim()}\n${privateKeyPem.trim()}\n`;
}
