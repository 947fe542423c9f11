// nginx.conf for a web server: static assets from disk, everything else proxied to the app. Pure.
import { SERVER_TIMEOUT_MS } from "./haproxy";
import { STUB_STATUS_PATH } from "./nginxExporter";
import { assertSafeToken, lines } from "./text";

export const NGINX_CONFIG_PATH = "/etc/nginx/nginx.conf";
export const STATIC_ROOT = "/srv/foobar/static";

export interface NginxConfigInput {
    readonly serverName: string;
    readonly domain: string;
    readonly listenPort: number;
    readonly appAddress: string;
    readonly appPort: number;
    /** A listener of its own for stub_status, which only the nginx exporter (from `allow`) may read; none without monitoring. */
    readonly status?: { readonly port: number; readonly allow: string };
}

export function renderNginxConfig(input: NginxConfigInput): string {
    assertSafeToken("server name", input.serverName);
    assertSafeToken("domain", input.domain);
    assertSafeToken("app address", input.appAddress);
    if (input.status !== undefined) assertSafeToken("status client", input.status.allow);
    // Apart from the site's server: stub_status is never served to a visitor, whatever Host they send.
    // Every address (it may not exist yet when nginx starts), and only its exporter let in.
    const status =
        input.status === undefined
            ? []
            : [
                  "",
                  "    server {",
                  `        listen ${input.status.port};`,
                  "        access_log off;",
                  `        allow ${input.status.allow};`,
                  "        deny all;",
                  `        location = ${STUB_STATUS_PATH} {`,
                  "            stub_status;",
                  "        }",
                  "        location / {",
                  "            return 404;",
                  "        }",
                  "    }",
              ];
    const proxyHeaders = [
        "            proxy_http_version 1.1;",
        '            proxy_set_header Connection "";',
        "            proxy_set_header Host $host;",
        "            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "            proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
        "            proxy_connect_timeout 2s;",
        // Above the app's page deadline (1.5 s), below HAProxy's wait: nginx's 504 reaches HAProxy,
        // which replays the request elsewhere, before HAProxy would give up on its own.
        `            proxy_read_timeout ${SERVER_TIMEOUT_MS - 250}ms;`,
    ];
    return lines(
        "# Rendered by foobar-infra (components/render/nginx.ts). Do not edit by hand.",
        "user www-data;",
        "worker_processes auto;",
        "pid /run/nginx.pid;",
        // Files, not /dev/stdout: under systemd stdout is the journal's socket, which nginx cannot
        // open. The nginx image links these two files to the container's stdout and stderr.
        "error_log /var/log/nginx/error.log warn;",
        "",
        "events {",
        "    worker_connections 1024;",
        "}",
        "",
        "http {",
        "    include /etc/nginx/mime.types;",
        "    default_type application/octet-stream;",
        "    server_tokens off;",
        "    sendfile on;",
        "    tcp_nopush on;",
        "    keepalive_timeout 65s;",
        // Buffered: one write per 64 KiB (or per second), not one per request (a line per request
        // through the container's stdout cost the static path three quarters of its throughput).
        "    access_log /var/log/nginx/access.log combined buffer=64k flush=1s;",
        "",
        "    upstream app {",
        `        server ${input.appAddress}:${input.appPort} max_fails=0;`,
        "        keepalive 32;",
        // Below node's own idle timeout (5 s): nginx, not the app, closes an idle connection, so a
        // request never meets one the app is closing.
        "        keepalive_timeout 4s;",
        "    }",
        "",
        "    server {",
        `        listen ${input.listenPort} default_server;`,
        `        server_name ${input.domain} localhost;`,
        `        add_header X-Web-Server ${input.serverName} always;`,
        "",
        "        # Static assets never reach the app.",
        "        location /static/ {",
        `            alias ${STATIC_ROOT}/;`,
        "            expires 1h;",
        "        }",
        "        location = /favicon.svg {",
        `            root ${STATIC_ROOT};`,
        "        }",
        "",
        "        # nginx's own liveness, for the container health check.",
        "        location = /nginx-health {",
        "            access_log off;",
        "            default_type text/plain;",
        '            return 200 "ok\\n";',
        "        }",
        "",
        "        location / {",
        "            proxy_pass http://app;",
        ...proxyHeaders,
        "        }",
        "    }",
        ...status,
        "}",
    );
}
