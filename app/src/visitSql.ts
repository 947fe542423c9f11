// The store's SQL: one batch of visits in one transaction, the totals, and what makes a reader's
// total include the batch: the GTID a page waits for on a replica (MariaDB), Galera's causal read. The schema belongs to the platform's bootstrap SQL: the app user may only
// SELECT/INSERT (and UPDATE visit_totals), so nothing here creates tables.
//
// A visit is recorded once per client request: HAProxy gives each request an id (X-Request-Id)
// and keeps it when it replays the request on another web server, and visits.request_id is
// UNIQUE. A request that came without one gets an id made by the app (store.ts), so every row
// can be found by its id. INSERT IGNORE skips a row whose id is already recorded (by an earlier
// batch, the other web server, or earlier in this statement) without failing the others; IGNORE
// could hide nothing else here, as server names and request ids are checked before they get here.
//
// A batch is one script (db.ts): all its statements in one round trip, as on a busy machine each
// round trip costs milliseconds of waiting for a CPU, at every hop.
import { Statement } from "./db";

export interface VisitRequest {
  readonly server: string;
  readonly requestId: string;
}

export interface RecordedVisit {
  visitId: number;
  /** True when this request id had already been recorded: visitId is that visit, the total did not move. */
  replayed: boolean;
}

export interface RecordedBatch {
  /** One per request, in order. */
  readonly visits: readonly RecordedVisit[];
  /** Rows this transaction inserted: 0 means it wrote nothing of its own. */
  readonly inserted: number;
  /** The commit's GTID, when asked for and there is one. */
  readonly gtid?: string;
}

const list = (n: number, item: string): string => Array.from({ length: n }, () => item).join(", ");
export const insertVisitsSql = (rows: number): string => `INSERT IGNORE INTO visits (server, request_id) VALUES ${list(rows, "(?, ?)")}`;
export const selectVisitsSql = (rows: number): string => `SELECT id, request_id FROM visits WHERE request_id IN (${list(rows, "?")})`;
/** The rows the INSERT before it added, kept for the bump (the app only learns the count afterwards). */
export const COUNT_INSERTED = "SET @foobar_inserted = ROW_COUNT()";
export const BUMP_TOTAL =
  "INSERT INTO visit_totals (server, total) VALUES (?, @foobar_inserted) ON DUPLICATE KEY UPDATE total = total + @foobar_inserted";
export const SELECT_TOTAL = "SELECT COALESCE(SUM(total), 0) AS total FROM visit_totals";
/** MariaDB: the GTID of this session's last transaction, read on the connection that committed it. */
export const SELECT_LAST_GTID = "SELECT @@last_gtid AS gtid";
/** MariaDB: 0 once this replica has applied the GTID, -1 if it has not within the timeout (seconds). */
export const WAIT_FOR_GTID = "SELECT MASTER_GTID_WAIT(?, ?) AS waited";
/**
 * Galera: this session's reads first wait until the node has applied every write the cluster had
 * committed when the read arrived (a causal read), so a total read after a batch's COMMIT includes
 * it, whichever node committed it. Set on the reader's connections only, which serve only totals.
 */
export const SYNC_WAIT = "SET SESSION wsrep_sync_wait = 1";

/** mysql returns BIGINT as a number, or as a string once it exceeds 2^53 / with bigNumberStrings. */
export function toCount(value: unknown, what: string): number {
  const n = typeof value === "string" || typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`unexpected ${what} from the database: ${String(value)}`);
  }
  return n;
}

function okPacket(result: unknown): { affectedRows?: unknown; insertId?: unknown } {
  return typeof result === "object" && result !== null ? result : {};
}

function firstRow(rows: unknown): Record<string, unknown> | undefined {
  return Array.isArray(rows) ? (rows[0] as Record<string, unknown> | undefined) : undefined;
}

export function totalOf(rows: unknown): number {
  return toCount(firstRow(rows)?.total, "total");
}

/** A GTID position such as "0-1-4527"; undefined when the session has none. */
export function gtidOf(rows: unknown): string | undefined {
  const gtid = firstRow(rows)?.gtid;
  if (gtid === null || gtid === undefined || gtid === "") return undefined;
  if (typeof gtid === "string" && /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(gtid)) return gtid;
  throw new Error(`unexpected GTID from the database: ${String(gtid)}`);
}

/** MASTER_GTID_WAIT's answer: true once applied; false on timeout (-1) or NULL (e.g. not a replica). */
export function waitedOf(rows: unknown): boolean {
  const waited = firstRow(rows)?.waited;
  return waited === 0 || waited === "0";
}

export interface BatchScript {
  readonly statements: readonly Statement[];
  /** The COMMIT's position in statements (writeRetry.ts: an error before it, and it never ran). */
  readonly commitAt: number;
  /** The batch's outcome from the script's results (db.ts: one per statement). */
  read(results: readonly unknown[]): RecordedBatch;
}

/**
 * The script of a batch: in one transaction, per server (one, in practice) a multi-row INSERT and
 * a bump of its total by the rows that INSERT really added; one SELECT for every id; then, if
 * `gtid`, the commit's GTID. A request id that is already recorded, or is twice in the batch,
 * answers the first visit's id and does not count.
 */
export function visitsScript(requests: readonly VisitRequest[], options: { gtid: boolean }): BatchScript {
  if (requests.length === 0) throw new Error("a batch holds at least one visit");
  // The first request with an id is the one that may insert it; later ones in the batch replay it.
  const firsts = new Map<string, VisitRequest>();
  const byServer = new Map<string, VisitRequest[]>();
  for (const r of requests) {
    if (firsts.has(r.requestId)) continue;
    firsts.set(r.requestId, r);
    byServer.set(r.server, [...(byServer.get(r.server) ?? []), r]);
  }
  const statements: Statement[] = [{ sql: "START TRANSACTION", params: [] }];
  const groups = [...byServer].map(([server, rows]) => {
    const at = statements.length;
    statements.push(
      { sql: insertVisitsSql(rows.length), params: rows.flatMap((r) => [r.server, r.requestId]) },
      { sql: COUNT_INSERTED, params: [] },
      { sql: BUMP_TOTAL, params: [server] },
    );
    return { rows, at };
  });
  // Read after the INSERTs, it sees every row they skipped: InnoDB made an INSERT wait until the
  // transaction holding that row committed (or rolled back, and the row went in).
  const selectAt = statements.push({ sql: selectVisitsSql(firsts.size), params: [...firsts.keys()] }) - 1;
  const commitAt = statements.push({ sql: "COMMIT", params: [] }) - 1;
  const gtidAt = options.gtid ? statements.push({ sql: SELECT_LAST_GTID, params: [] }) - 1 : -1;

  function read(results: readonly unknown[]): RecordedBatch {
    if (results.length !== statements.length) throw new Error(`a script of ${statements.length} statements got ${results.length} results`);
    const ids = new Map<string, number>();
    for (const row of Array.isArray(results[selectAt]) ? (results[selectAt] as Array<Record<string, unknown>>) : []) {
      ids.set(String(row.request_id), toCount(row.id, "visit id"));
    }
    const idOf = (requestId: string): number => {
      const id = ids.get(requestId);
      if (id === undefined) throw new Error(`no visit with request id ${requestId} after inserting it`);
      return id;
    };
    // Which rows are ours: all of a group when its INSERT added every row, none when it added none;
    // otherwise those with an id from this INSERT (auto-increment values only grow, and a row
    // skipped for an older visit has an older id). A replay whose first attempt committed in the
    // very same instant may be shown as not replayed: only that log line is off, never the total,
    // which the database bumped by what the INSERT really added.
    const ours = new Set<string>();
    let inserted = 0;
    for (const { rows, at } of groups) {
      const ok = okPacket(results[at]);
      const added = toCount(ok.affectedRows, "affectedRows");
      const firstId = added > 0 ? toCount(ok.insertId, "insertId") : 0;
      inserted += added;
      for (const r of rows) if (added === rows.length || (added > 0 && idOf(r.requestId) >= firstId)) ours.add(r.requestId);
    }
    const visits = requests.map((r) => ({
      visitId: idOf(r.requestId),
      replayed: !(firsts.get(r.requestId) === r && ours.has(r.requestId)),
    }));
    const gtid = gtidAt < 0 ? undefined : gtidOf(results[gtidAt]);
    return { visits, inserted, ...(gtid === undefined ? {} : { gtid }) };
  }
  return { statements, commitAt, read };
}
