// database.failover "automatic" on our own servers: the config rule (a quorum needs 3 nodes, with
// the exact messages), the Galera plan (its nodes, bootstrap node and write-address priorities) and
// the flows a Galera cluster needs (every node to every other, the apps to every node).
import assert from "node:assert/strict";
import { validateArgs } from "../../components/foobarSchema";
import { GaleraPlan, PORTS, ServicePlan, Topology, serviceLabel } from "../../components/topology";
import { errorOf, one } from "./configErrors";
import { endKey, topologyOf } from "./topologyHelpers";

const AUTOMATIC = { failover: "automatic" };
const QUORUM = (replicas: number) =>
    `needs at least 3 database nodes for a quorum (the primary and ${replicas} replica(s) make ${replicas + 1}: after losing one, the rest would not be a majority); set database.replicas to 2 or more (with as many web servers), or use "manual".`;

function galeraOf(t: Topology): GaleraPlan {
    assert.ok(t.galera, "the topology has no Galera plan");
    return t.galera;
}

/** Flows between services as "from -> to:port purpose", sorted. */
const flowsOf = (t: Topology, keep: (from: ServicePlan, to: ServicePlan) => boolean) =>
    t.flows
        .filter((f) => typeof f.from !== "string" && keep(f.from, f.to))
        .map((f) => `${endKey(f.from)} -> ${f.to.key}:${f.port} ${f.purpose}`)
        .sort();

describe("database.failover: validateArgs", () => {
    const BAD: ReadonlyArray<readonly [string, unknown, string]> = [
        [
            "automatic with one replica",
            { database: { ...AUTOMATIC, replicas: 1 } },
            one(`  - foobar:database.failover: got "automatic"; ${QUORUM(1)}`),
        ],
        [
            "automatic with no replica",
            { database: { ...AUTOMATIC, replicas: 0 } },
            one(`  - foobar:database.failover: got "automatic"; ${QUORUM(0)}`),
        ],
        [
            "automatic with one web server (replicas default to 1)",
            { webServers: 1, database: AUTOMATIC },
            one(`  - foobar:database.failover: got "automatic"; ${QUORUM(1)}`),
        ],
        [
            // The replicas' own problem is the one to fix first: no second message about the quorum.
            "automatic with more replicas than web servers",
            { database: { ...AUTOMATIC, replicas: 3 } },
            one(`  - foobar:database.replicas: got 3; must be a whole number from 0 to 2.`),
        ],
        [
            "an unknown failover",
            { database: { failover: "auto" } },
            one(`  - foobar:database.failover: got "auto"; must be one of "manual", "automatic".`),
        ],
    ];
    for (const [name, args, message] of BAD) {
        it(`refuses ${name}`, () => assert.equal(errorOf(args).message, message));
    }

    it("accepts automatic with 2 replicas or more, monitoring on or off, and defaults to manual", () => {
        const cases: ReadonlyArray<readonly [unknown, number]> = [
            [{ database: AUTOMATIC }, 2],
            [{ webServers: 3, database: AUTOMATIC }, 3],
            [{ webServers: 8, database: { ...AUTOMATIC, replicas: 2 } }, 2],
            [{ database: AUTOMATIC, monitoring: { enabled: false } }, 2],
        ];
        for (const [args, replicas] of cases) {
            assert.deepEqual(validateArgs(args).database, { mode: "self-managed", replicas, failover: "automatic" });
        }
        assert.equal(validateArgs({}).database.failover, "manual");
    });
});

describe("database.failover automatic: the Galera plan", () => {
    const PLANS = [
        {
            name: "two web servers",
            args: { database: AUTOMATIC },
            nodes: [
                ["server-3-mariadb-primary", 150],
                ["server-1-mariadb-replica", 100],
                ["server-2-mariadb-replica", 99],
            ],
        },
        {
            name: "three web servers and a load-balancer pair",
            args: { webServers: 3, lb: { count: 2 }, database: AUTOMATIC },
            nodes: [
                ["server-4-mariadb-primary", 150],
                ["server-1-mariadb-replica", 100],
                ["server-2-mariadb-replica", 99],
                ["server-3-mariadb-replica", 98],
            ],
        },
        {
            name: "eight web servers, two replicas",
            args: { webServers: 8, database: { ...AUTOMATIC, replicas: 2 } },
            nodes: [
                ["server-9-mariadb-primary", 150],
                ["server-1-mariadb-replica", 100],
                ["server-2-mariadb-replica", 99],
            ],
        },
    ] as const;
    for (const { name, args, nodes } of PLANS) {
        it(`${name}: every database a node, the primary first, bootstrapping and preferred for the write address`, () => {
            const t = topologyOf(args);
            const galera = galeraOf(t);
            assert.deepEqual(
                galera.nodes.map((n) => n.key),
                nodes.map(([key]) => key),
            );
            assert.deepEqual(galera.nodes, t.databases, "the same plans as the topology's databases, in order");
            assert.equal(galera.bootstrap, galera.nodes[0]);
            assert.deepEqual([...galera.writePriority], nodes);
        });
    }

    it("keeps the servers, services, roles and server ids of manual failover", () => {
        const manual = topologyOf({});
        const automatic = topologyOf({ database: AUTOMATIC });
        const shape = (t: Topology) =>
            t.servers.map((s) => [s.name, s.role, s.services.map((x) => [x.key, serviceLabel(x), x.kind === "mariadb" ? x.serverId : 0])]);
        assert.deepEqual(shape(automatic), shape(manual));
        assert.deepEqual(
            automatic.web.map((w) => [w.app.key, w.app.reader?.key]),
            [
                ["server-1-app", "server-1-mariadb-replica"],
                ["server-2-app", "server-2-mariadb-replica"],
            ],
        );
    });

    it("plans no cluster with manual failover, or with RDS (Multi-AZ fails it over)", () => {
        assert.equal(topologyOf({}).galera, undefined);
        assert.equal(topologyOf({ database: { failover: "manual" } }).galera, undefined);
        const rds = topologyOf({ platform: "aws", database: { mode: "managed", ...AUTOMATIC }, aws: { rds: { multiAz: true } } });
        assert.equal(rds.galera, undefined);
        assert.deepEqual(
            rds.databases.map((d) => d.kind),
            ["rds", "rds"],
        );
    });
});

describe("database.failover automatic: the flows", () => {
    const t = topologyOf({ database: AUTOMATIC });
    const isNode = (s: ServicePlan) => s.kind === "mariadb";
    const NODES = ["server-3-mariadb-primary", "server-1-mariadb-replica", "server-2-mariadb-replica"];

    it("lets every node reach every other on Galera's group, incremental and full state transfer ports (a starting node asks Galera's port whether a cluster runs)", () => {
        const expected = NODES.flatMap((from) =>
            NODES.filter((to) => to !== from).flatMap((to) => [
                `${from} -> ${to}:4567 Galera group communication`,
                `${from} -> ${to}:4568 Galera incremental state transfer`,
                `${from} -> ${to}:4444 Galera full state transfer`,
            ]),
        ).sort();
        assert.equal(expected.length, 18);
        assert.deepEqual(
            flowsOf(t, (from, to) => isNode(from) && isNode(to)),
            expected,
        );
        assert.deepEqual([PORTS.galera, PORTS.galeraIst, PORTS.galeraSst], [4567, 4568, 4444]);
    });

    it("lets each app reach every node (the write address may be on any of them) and read from its own; no GTID replication", () => {
        const writes = (app: string) => NODES.map((n) => `${app} -> ${n}:3306 writes through the write address, wherever it is`);
        assert.deepEqual(
            flowsOf(t, (from, to) => from.kind === "app" && isNode(to)),
            [
                ...writes("server-1-app"),
                "server-1-app -> server-1-mariadb-replica:3306 reads",
                ...writes("server-2-app"),
                "server-2-app -> server-2-mariadb-replica:3306 reads",
            ].sort(),
        );
        assert.deepEqual(
            t.flows.filter((f) => f.purpose === "GTID replication"),
            [],
        );
        assert.equal(
            topologyOf({}).flows.filter((f) => f.purpose === "GTID replication").length,
            2,
            "manual failover replicates by GTID from each replica",
        );
    });

    it("keeps the exporters' flows: Prometheus to each exporter, each exporter to its own node", () => {
        assert.deepEqual(
            flowsOf(t, (from, to) => from.kind === "mysqld-exporter" || to.kind === "mysqld-exporter"),
            [
                "server-1-mysqld-exporter -> server-1-mariadb-replica:3306 server and replication status reads",
                "server-2-mysqld-exporter -> server-2-mariadb-replica:3306 server and replication status reads",
                "server-3-mysqld-exporter -> server-3-mariadb-primary:3306 server and replication status reads",
                "server-3-prometheus -> server-1-mysqld-exporter:9104 database metrics scrapes",
                "server-3-prometheus -> server-2-mysqld-exporter:9104 database metrics scrapes",
                "server-3-prometheus -> server-3-mysqld-exporter:9104 database metrics scrapes",
            ],
        );
    });
});
