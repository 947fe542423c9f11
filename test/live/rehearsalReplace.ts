// What the rehearsal reads from the databases around an instance's replacement: the visits, and
// where the primary's binary log and each replica's replication stand (GTID positions).
import { sql } from "./databaseProbes";
import { execIn } from "./probes";

export interface ReplicaFigures {
    readonly visits: number;
    /** @@gtid_slave_pos: the last transaction the replica applied. */
    readonly slavePos: string;
    /** Using_Gtid from SHOW SLAVE STATUS: Slave_Pos when it resumes from its own position. */
    readonly usingGtid: string;
    readonly running: boolean;
}

export interface DatabaseFigures {
    readonly visits: number;
    readonly maxId: number;
    /** @@gtid_binlog_pos on the primary. */
    readonly binlogPos: string;
    readonly replicas: Readonly<Record<string, ReplicaFigures>>;
}

/** The sequence number of domain 0 in a GTID position ("0-1-42" -> 42; none -> 0). */
export function gtidSeq(position: string): number {
    const own = position
        .split(",")
        .map((g) => g.trim().split("-"))
        .find((parts) => parts[0] === "0");
    return own ? Number(own[2]) : 0;
}

async function replicaFigures(replica: string): Promise<ReplicaFigures> {
    // Vertical, with the field names (sql() skips them).
    const status = await execIn(replica, ["mariadb", "-e", "SHOW SLAVE STATUS\\G"]);
    const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, "m").exec(status)?.[1].trim() ?? "?";
    return {
        visits: Number(await sql(replica, "SELECT COUNT(*) FROM foobar.visits")),
        slavePos: await sql(replica, "SELECT @@gtid_slave_pos"),
        usingGtid: field("Using_Gtid"),
        running: field("Slave_IO_Running") === "Yes" && field("Slave_SQL_Running") === "Yes",
    };
}

export async function databaseFigures(primary: string, replicas: readonly string[]): Promise<DatabaseFigures> {
    const [visits, maxId] = (await sql(primary, "SELECT COUNT(*), COALESCE(MAX(id), 0) FROM foobar.visits")).split("\t").map(Number);
    const binlogPos = await sql(primary, "SELECT @@gtid_binlog_pos");
    const entries = await Promise.all(replicas.map(async (r) => [r, await replicaFigures(r)] as const));
    return { visits, maxId, binlogPos, replicas: Object.fromEntries(entries) };
}

/** How many of `ids` the database holds. */
export async function visitsPresent(database: string, ids: readonly number[]): Promise<number> {
    return Number(await sql(database, `SELECT COUNT(*) FROM foobar.visits WHERE id IN (${ids.map(Number).join(",")})`));
}

/** One line per database, for the test log. */
export function describeFigures(label: string, f: DatabaseFigures): string {
    const replicas = Object.entries(f.replicas).map(([name, r]) => `${name}: ${r.visits} visits, slave pos ${r.slavePos} (${r.usingGtid})`);
    return `${label}: primary ${f.visits} visits (max id ${f.maxId}), binlog pos ${f.binlogPos}; ${replicas.join("; ")}`;
}
