// database.failover "automatic": what a Galera node is rendered with (through the production wiring
// on the docker platform): its my.cnf and the keepalived.conf that moves the write address. Whole
// files against golden copies (the bootstrap node's), then what each node must differ in.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { planDockerNetworks } from "../../components/platforms/docker/plan";
import { dockerView } from "../../components/platforms/docker/view";
import { GaleraConfigInput, galeraConfigLines } from "../../components/render/galera";
import { KEEPALIVED_CONFIG_PATH, VRRP_ROUTER_ID, VRRP_WRITE_ROUTER_ID } from "../../components/render/keepalived";
import { MARIADB_CONFIG_PATH } from "../../components/render/mariadb";
import { renderService } from "../../components/services";
import { Topology } from "../../components/topology";
import { GOLDEN_DIR } from "./golden";
import { byKey, topologyOf } from "./topologyHelpers";

const t = topologyOf({ database: { failover: "automatic" } });

/** A whole rendered file against test/unit/golden/<name>; UPDATE_GOLDEN=1 writes it first. */
function assertWholeFile(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, actual);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs from its golden file; rerun with UPDATE_GOLDEN=1 if intended`);
}

function fileOf(topology: Topology, key: string, filePath: string): string {
    const context = { topology, view: dockerView(topology, planDockerNetworks(topology)) };
    const file = renderService(context, byKey(topology, key)).files.find((f) => f.path === filePath);
    assert.ok(file && "content" in file, `${key} has no plain file ${filePath}`);
    return file.content;
}

const linesOf = (text: string) => text.split("\n");
/** The lines of a block that opens with `open` and closes with the first `close` after it. */
function block(text: string, open: string, close: string): string[] {
    const all = linesOf(text);
    const start = all.indexOf(open);
    assert.ok(start >= 0, `no ${JSON.stringify(open)}`);
    return all.slice(start + 1, all.indexOf(close, start));
}

/** The node, its server_id, its data-network address and its name in Galera. */
const NODES = [
    ["server-3-mariadb-primary", 1, "10.77.2.3", "server-3"],
    ["server-1-mariadb-replica", 101, "10.77.2.31", "server-1"],
    ["server-2-mariadb-replica", 102, "10.77.2.32", "server-2"],
] as const;

describe("database.failover automatic: a Galera node's my.cnf", () => {
    const bootstrap = fileOf(t, "server-3-mariadb-primary", MARIADB_CONFIG_PATH);

    it("renders the bootstrap node's config (golden): a Galera node over TLS, read_only until keepalived says otherwise", () => {
        assertWholeFile("galera-node.cnf", bootstrap);
        const all = linesOf(bootstrap);
        for (const line of [
            "[mariadbd]",
            "wsrep_on = ON",
            "wsrep_provider = /usr/lib/galera/libgalera_smm.so",
            "wsrep_cluster_name = foobar",
            "wsrep_cluster_address = gcomm://10.77.2.3,10.77.2.31,10.77.2.32",
            "wsrep_node_address = 10.77.2.3",
            "wsrep_node_name = server-3",
            "wsrep_sst_method = mariabackup",
            "wsrep_sync_wait = 1",
            "innodb_autoinc_lock_mode = 2",
            "binlog_format = ROW",
            "require_secure_transport = ON",
            "read_only = ON",
        ]) {
            assert.equal(all.filter((l) => l === line).length, 1, `exactly one ${JSON.stringify(line)}`);
        }
        // The node's start script runs the bootstrap SQL once it is synced: no init_file, and
        // nothing of GTID replication or semi-sync.
        assert.deepEqual(
            all.filter((l) => /^(init_file|read_only|rpl_semi_sync|skip_slave_start|relay_log|slave_parallel)/.test(l)),
            ["read_only = ON"],
        );
        const options = all.find((l) => l.startsWith("wsrep_provider_options = "));
        assert.deepEqual(/^wsrep_provider_options = "(.*)"$/.exec(options ?? "")?.[1].split(";"), [
            "socket.ssl_cert=/etc/mysql/foobar/server-cert.pem",
            "socket.ssl_key=/etc/mysql/foobar/server-key.pem",
            "socket.ssl_ca=/etc/foobar/db-ca.pem",
            "evs.suspect_timeout=PT3S",
            "evs.inactive_timeout=PT6S",
            "evs.keepalive_period=PT1S",
            "pc.recovery=TRUE",
            "gcache.size=256M",
        ]);
        assert.deepEqual(block(bootstrap, "[sst]", ""), [
            "encrypt = 3",
            "tca = /etc/foobar/db-ca.pem",
            "tcert = /etc/mysql/foobar/server-cert.pem",
            "tkey = /etc/mysql/foobar/server-key.pem",
            "# Into the server's own log (the container's output), not syslog: nothing runs syslog here.",
            "sst-syslog = -1",
        ]);
    });

    for (const [key, serverId, address, name] of NODES) {
        it(`${key}: the bootstrap node's config but for server_id ${serverId}, its address and its name`, () => {
            const swap: Record<string, string> = {
                "server_id = 1": `server_id = ${serverId}`,
                "wsrep_node_address = 10.77.2.3": `wsrep_node_address = ${address}`,
                "wsrep_node_name = server-3": `wsrep_node_name = ${name}`,
            };
            const expected = linesOf(bootstrap)
                .map((l) => swap[l] ?? l)
                .join("\n");
            assert.equal(fileOf(t, key, MARIADB_CONFIG_PATH), expected);
        });
    }

    it("refuses a cluster of fewer than 3 nodes, and a name or address that is no plain token", () => {
        const input: GaleraConfigInput = { clusterName: "foobar", nodeName: "server-3", nodeAddress: "10.77.2.3", members: ["10.77.2.3"] };
        assert.throws(() => galeraConfigLines({ ...input, members: ["10.77.2.3", "10.77.2.31"] }), {
            message: "refusing to render a Galera cluster of 2 nodes: a quorum needs 3",
        });
        assert.throws(() => galeraConfigLines({ ...input, clusterName: "foo;bar" }), {
            message: 'refusing to render cluster name "foo;bar": only letters, digits and . _ : % / - are allowed',
        });
        assert.throws(() => galeraConfigLines({ ...input, members: ["10.77.2.3", "10.77.2.31", "10.77.2.32,evil"] }), {
            message: 'refusing to render address "10.77.2.32,evil": only letters, digits and . _ : % / - are allowed',
        });
    });
});

describe("database.failover automatic: a Galera node's keepalived.conf", () => {
    it("renders the bootstrap node's (golden): router 52 on $DATA_INTERFACE, the galera track script, notify as root", () => {
        const conf = fileOf(t, "server-3-mariadb-primary", KEEPALIVED_CONFIG_PATH);
        assertWholeFile("galera-keepalived.conf", conf);
        assert.equal(VRRP_WRITE_ROUTER_ID, 52);
        const all = linesOf(conf);
        for (const line of [
            "include /run/keepalived/data-interface.conf",
            "    router_id server-3",
            "    script_user nobody nogroup",
            "    enable_script_security",
            "vrrp_instance database {",
            "    interface $DATA_INTERFACE",
            "    virtual_router_id 52",
            "    nopreempt",
            '    notify "/usr/local/bin/foobar-galera-role" root',
        ]) {
            assert.equal(all.filter((l) => l === line).length, 1, `exactly one ${JSON.stringify(line)}`);
        }
        assert.deepEqual(block(conf, "vrrp_script galera {", "}"), [
            '    script "/usr/local/bin/foobar-galera-check"',
            "    interval 1",
            "    # A busy host may answer one check late: three misses in a row, not two, give the address up.",
            "    timeout 3",
            "    fall 3",
            "    rise 2",
        ]);
        assert.deepEqual(block(conf, "    track_script {", "    }"), ["        galera"]);
        assert.deepEqual(block(conf, "    virtual_ipaddress {", "    }"), ["        10.77.2.254/24 dev $DATA_INTERFACE"]);
        assert.ok(!all.some((l) => /EDGE_INTERFACE|haproxy|vrrp_strict|multicast/.test(l) && !l.trim().startsWith("#")));
    });

    const ROUTERS = [
        ["server-3-mariadb-primary", 150, false, "10.77.2.3", ["10.77.2.31", "10.77.2.32"]],
        ["server-1-mariadb-replica", 100, true, "10.77.2.31", ["10.77.2.3", "10.77.2.32"]],
        ["server-2-mariadb-replica", 99, true, "10.77.2.32", ["10.77.2.3", "10.77.2.31"]],
    ] as const;
    for (const [key, priority, delayed, source, peers] of ROUTERS) {
        it(`${key}: priority ${priority}, ${delayed ? "a startup delay" : "no startup delay"}, adverts from ${source} to the other nodes`, () => {
            const conf = fileOf(t, key, KEEPALIVED_CONFIG_PATH);
            const all = linesOf(conf);
            assert.ok(all.includes(`    priority ${priority}`));
            assert.equal(all.includes("    vrrp_startup_delay 3"), delayed);
            assert.ok(all.includes(`    unicast_src_ip ${source}`));
            assert.deepEqual(
                block(conf, "    unicast_peer {", "    }"),
                peers.map((p) => `        ${p}`),
            );
            assert.ok(all.includes("    virtual_router_id 52"));
        });
    }

    it("leaves a load-balancer pair's keepalived on router 51 and edge, tracking HAProxy, with no notify", () => {
        const both = topologyOf({ lb: { count: 2 }, database: { failover: "automatic" } });
        const conf = linesOf(fileOf(both, "server-3-keepalived", KEEPALIVED_CONFIG_PATH));
        assert.equal(VRRP_ROUTER_ID, 51);
        assert.ok(conf.includes("    virtual_router_id 51"));
        assert.ok(conf.includes("        10.77.0.254/24 dev $EDGE_INTERFACE"));
        assert.ok(conf.includes("        haproxy"));
        assert.ok(!conf.some((l) => l.includes("notify") || l.includes("galera")));
        // The database nodes' own routers are unchanged by the pair.
        assert.equal(
            fileOf(both, "server-3-mariadb-primary", KEEPALIVED_CONFIG_PATH),
            fileOf(t, "server-3-mariadb-primary", KEEPALIVED_CONFIG_PATH),
        );
    });
});
