// Probes of a Galera cluster's nodes (database.failover automatic), from inside their containers.
import { sql } from "./databaseProbes";
import { dockerRun } from "./docker";
import { waitFor } from "./poll";

export interface Node {
    readonly server: string;
    readonly container: string;
    /** Its own address on the data network. */
    readonly address: string;
}

/** Whether the node's check passes: a synced (or donor) member of the majority. */
export async function inMajority(node: Node): Promise<boolean> {
    return (await dockerRun(["exec", node.container, "foobar-galera-check"])).code === 0;
}

/** Whether the node holds the write address on an interface now. */
export async function holdsWriteAddress(node: Node, writeIp: string): Promise<boolean> {
    const r = await dockerRun(["exec", node.container, "ip", "-o", "-4", "addr", "show"]);
    return r.code === 0 && r.stdout.includes(` ${writeIp}/`);
}

/** The node's read_only (0 or 1), or undefined when it does not answer. */
export async function readOnly(node: Node): Promise<number | undefined> {
    try {
        return Number(await sql(node.container, "SELECT @@global.read_only"));
    } catch {
        return undefined;
    }
}

/** Waits until exactly one of `nodes` holds the write address and takes writes (read_only 0), and no other does. */
export async function waitWriter(nodes: readonly Node[], writeIp: string, timeoutMs: number): Promise<Node> {
    return waitFor(
        `one writer among ${nodes.map((n) => n.server).join(", ")}`,
        timeoutMs,
        async () => {
            const states = await Promise.all(
                nodes.map(async (n) => ({ n, holds: await holdsWriteAddress(n, writeIp), readOnly: await readOnly(n) })),
            );
            const holders = states.filter((s) => s.holds);
            const writable = states.filter((s) => s.readOnly === 0);
            return holders.length === 1 && writable.length === 1 && holders[0].n === writable[0].n ? holders[0].n : undefined;
        },
        100,
    );
}

/** How many of `ids` the node's visits table holds. */
export async function visitsHeld(node: Node, ids: readonly number[]): Promise<number> {
    if (ids.length === 0) return 0;
    return Number(await sql(node.container, `SELECT COUNT(*) FROM foobar.visits WHERE id IN (${ids.join(",")})`));
}

/** CHECKSUM TABLE of the site's two tables on one node. */
export async function checksums(node: Node): Promise<string> {
    return sql(node.container, "CHECKSUM TABLE foobar.visits, foobar.visit_totals");
}

export async function clusterSize(node: Node): Promise<number> {
    const row = await sql(node.container, "SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'");
    return Number(row.split(/\s+/)[1]);
}
