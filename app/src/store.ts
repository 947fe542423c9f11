// Visit counting. Writes always go to the primary; the total is read from the
// replica when there is one and it answers, otherwise from the primary, so a
// replica outage only shifts read load to the primary; it fails no page.
// The schema belongs to the platform's bootstrap SQL: the app user may only
// SELECT/INSERT/UPDATE, so nothing here creates tables.
import { Database } from "./db";

export type ReadSource = "replica" | "primary";

/** What the HTTP server needs; tests substitute fakes. */
export interface VisitStoreLike {
  recordVisit(server: string): Promise<{ visitId: number }>;
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

export const INSERT_VISIT = "INSERT INTO visits (server) VALUES (?)";
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

  async recordVisit(server: string): Promise<{ visitId: number }> {
    // One transaction: the visit row and the per-server total move together.
    return this.writer.transaction(async (tx) => {
      const visitId = insertIdOf(await tx.query(INSERT_VISIT, [server]));
      await tx.query(BUMP_TOTAL, [server]);
      return { visitId };
    });
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
