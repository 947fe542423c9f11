// Visit counting. Writes always go to the primary; the total is read from the
// replica when there is one and it answers, otherwise from the primary, so a
// replica outage only shifts read load to the primary; it fails no page.
// The schema belongs to the platform's bootstrap SQL: the app user may only
// SELECT/INSERT/UPDATE, so nothing here creates tables.
//
// A visit is recorded once per client request: HAProxy gives each request an
// id (X-Request-Id) and keeps it when it replays the request on another web
// server, and visits.request_id is UNIQUE. A replay's INSERT fails with a
// duplicate key; the store then answers the visit recorded the first time and
// leaves the total alone. Without an id (NULL, which UNIQUE never matches)
// every call counts.
import { Database, Queryable } from "./db";

export type ReadSource = "replica" | "primary";

export interface RecordedVisit {
  visitId: number;
  /** True when this request id had already been recorded: visitId is that visit, the total did not move. */
  replayed: boolean;
}

/** What the HTTP server needs; tests substitute fakes. */
export interface VisitStoreLike {
  /** requestId must already be valid (server.ts: parseRequestId); undefined records a visit without one. */
  recordVisit(server: string, requestId?: string): Promise<RecordedVisit>;
  totalVisits(): Promise<{ total: number; readFrom: ReadSource }>;
  close(): Promise<void>;
}

export interface VisitStoreOptions {
  /**
   * After a replica failure, read from the primary for this long before
   * trying the replica again, so an unreachable replica does not add its
   * connect timeout to every page view.
   */
  readerRetryMs?: number;
  now?: () => number;
  logError?: (line: string) => void;
}

export const INSERT_VISIT = "INSERT INTO visits (server, request_id) VALUES (?, ?)";
export const SELECT_VISIT_BY_REQUEST = "SELECT id FROM visits WHERE request_id = ?";
export const BUMP_TOTAL = "INSERT INTO visit_totals (server, total) VALUES (?, 1) ON DUPLICATE KEY UPDATE total = total + 1";
export const SELECT_TOTAL = "SELECT COALESCE(SUM(total), 0) AS total FROM visit_totals";

/** mysql returns BIGINT as a number, or as a string once it exceeds 2^53 / with bigNumberStrings. */
function toCount(value: unknown, what: string): number {
  const n = typeof value === "string" || typeof value === "bigint" ? Number(value) : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) {
    throw new Error(`unexpected ${what} from the database: ${String(value)}`);
  }
  return n;
}

function insertIdOf(result: unknown): number {
  const id = typeof result === "object" && result !== null ? (result as { insertId?: unknown }).insertId : undefined;
  return toCount(id, "insertId");
}

/** The replay's visit id; undefined when no row has this request id. */
function visitIdOf(rows: unknown): number | undefined {
  const row = Array.isArray(rows) ? (rows[0] as { id?: unknown } | undefined) : undefined;
  return row === undefined ? undefined : toCount(row.id, "visit id");
}

/** mysql's error for a UNIQUE (or primary) key clash: code ER_DUP_ENTRY, errno 1062. */
function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown } | null;
  return typeof e === "object" && e !== null && e.code === "ER_DUP_ENTRY" && e.errno === 1062;
}

function totalOf(rows: unknown): number {
  const row = Array.isArray(rows) ? (rows[0] as { total?: unknown } | undefined) : undefined;
  return toCount(row?.total, "total");
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class VisitStore implements VisitStoreLike {
  private readonly writer: Database;
  private readonly reader: Database | undefined;
  private readonly readerRetryMs: number;
  private readonly now: () => number;
  private readonly logError: (line: string) => void;
  /** Time before which the replica is skipped; 0 = replica believed healthy. */
  private readerSkipUntil = 0;

  constructor(writer: Database, reader: Database | undefined, options: VisitStoreOptions = {}) {
    this.writer = writer;
    this.reader = reader;
    this.readerRetryMs = options.readerRetryMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.logError = options.logError ?? ((line) => console.error(line));
  }

  async recordVisit(server: string, requestId?: string): Promise<RecordedVisit> {
    // One transaction: the visit row and the per-server total move together.
    return this.writer.transaction(async (tx) => {
      let inserted: unknown;
      try {
        inserted = await tx.query(INSERT_VISIT, [server, requestId ?? null]);
      } catch (err) {
        if (requestId === undefined || !isDuplicateKey(err)) throw err;
        return this.replayOf(tx, requestId, err);
      }
      const visitId = insertIdOf(inserted);
      await tx.query(BUMP_TOTAL, [server]);
      return { visitId, replayed: false };
    });
  }

  /**
   * The visit a replayed request recorded the first time. The duplicate key
   * error means that visit is committed (InnoDB made this INSERT wait for its
   * transaction), and this SELECT is the transaction's first read, so it sees it.
   */
  private async replayOf(tx: Queryable, requestId: string, duplicate: unknown): Promise<RecordedVisit> {
    const visitId = visitIdOf(await tx.query(SELECT_VISIT_BY_REQUEST, [requestId]));
    // A clash on another key (none exists today) is not a replay: report it as it is.
    if (visitId === undefined) throw duplicate;
    return { visitId, replayed: true };
  }

  async totalVisits(): Promise<{ total: number; readFrom: ReadSource }> {
    if (this.reader !== undefined && this.now() >= this.readerSkipUntil) {
      try {
        const total = totalOf(await this.reader.query(SELECT_TOTAL, []));
        if (this.readerSkipUntil !== 0) this.logError("replica answers again; reading totals from it");
        this.readerSkipUntil = 0;
        return { total, readFrom: "replica" };
      } catch (err) {
        // Log once per outage (when it starts), not once per request.
        if (this.readerSkipUntil === 0) {
          this.logError(`replica read failed, reading totals from the primary: ${describe(err)}`);
        }
        this.readerSkipUntil = this.now() + this.readerRetryMs;
      }
    }
    return { total: totalOf(await this.writer.query(SELECT_TOTAL, [])), readFrom: "primary" };
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.close(), this.reader?.close()]);
  }
}
