// The app's page budget and the proxies' timeouts are one chain: the app answers (or gives up)
// first, nginx waits a little longer, HAProxy longest. The app is its own package, so its copy of
// HAProxy's timeout is held to the renderer's here.
import assert from "node:assert/strict";
import { LOAD_BALANCER_TIMEOUT_MS, PAGE_DEADLINE_MS } from "../../app/src/poolConfig";
import { SERVER_TIMEOUT_MS } from "../../components/render/haproxy";
import { renderNginxConfig } from "../../components/render/nginx";

describe("page budget", () => {
    it("the app's LOAD_BALANCER_TIMEOUT_MS is haproxy.cfg's timeout server", () => {
        assert.equal(LOAD_BALANCER_TIMEOUT_MS, SERVER_TIMEOUT_MS);
    });

    it("nginx waits longer than the app's page deadline and less than HAProxy", () => {
        const conf = renderNginxConfig({
            serverName: "server-1",
            domain: "www.foobar.com",
            listenPort: 80,
            appAddress: "10.0.0.2",
            appPort: 3000,
        });
        const ms = Number(/proxy_read_timeout (\d+)ms;/.exec(conf)?.[1]);
        assert.ok(ms > PAGE_DEADLINE_MS && ms < SERVER_TIMEOUT_MS, `proxy_read_timeout ${ms} ms`);
    });
});
