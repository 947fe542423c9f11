// Visit counting. Writes always go to the primary, batched (visitBatcher.ts): concurrent visits
// share one transaction, so the server's row in visit_totals is locked once per batch, not once
// per visit, and one commit (fsync, semi-sync acknowledgement) serves them all. A batch that surely
// did not commit is run once more on a new connection (writeRetry.ts): after a failover, the write
// address leads to another node.
//
// The total a page shows includes the visit it recorded (read-your-writes). On MariaDB the batch's
// commit has a GTID; the replica waits for it, bounded (MASTER_GTID_WAIT), then answers the total,
// once for the whole batch. When the replica does not apply it in time, or fails, the total comes
// from the primary, and the replica is skipped for a while: a lagging or dead replica only shifts
// read load to the primary; it fails no page. MySQL (RDS) has no @@last_gtid, and Debian's
// node-mysql (2.18) cannot read the GTID that session_track_gtids would add to the OK packet, so
// there the total always comes from the primary: read-your-writes all the same. On Galera the
// reader is the web server's local node: the total is a causal read there (SYNC_WAIT, visitSql.ts)
// in the same round trip, for every batch, and from the primary in the same cases as on MariaDB.
import * as crypto from "crypto";
import type { DbFlavor } from "./config";
import { Database, Statement } from "./db";
import { Batcher } from "./visitBatcher";
import { RecordedVisit, SELECT_TOTAL, SYNC_WAIT, VisitRequest, WAIT_FOR_GTID, totalOf, visitsScript, waitedOf } from "./visitSql";
import { writeScript } from "./writeRetry";

export type ReadSource = "replica" | "primary";

export interface PageVisit extends RecordedVisit {
  /** Every visit committed before this one's batch, this one included. */
  total: number;
  readFrom: ReadSource;
}

/** What the HTTP server needs; tests substitute fakes. */
export interface VisitStoreLike {
  /** requestId must already be valid (server.ts: parseRequestId); undefined records a visit that counts, always. */
  recordVisit(server: string, requestId?: string): Promise<PageVisit>;
  close(): Promise<void>;
}

export interface VisitStoreOptions {
  /** @default "mariadb" */
  flavor?: DbFlavor;
  /** Most visits in one transaction; as many more may wait for the next. @default 100 */
  maxBatch?: number;
  /** A batch's time on the writer, its one retry included (writeRetry.ts). @default 500 */
  writeMs?: number;
  /** How long the replica may take to apply a batch's commit before the primary answers. @default 100 */
  replicaWaitMs?: number;
  /** Reading a batch's total: the replica's try and then, if it fails, the primary's. @default 500 */
  totalReadMs?: number;
  /**
   * After a replica failure or timeout, read from the primary for this long before trying the
   * replica again, so an unreachable or lagging replica does not add its wait to every page view.
   */
  readerRetryMs?: number;
  now?: () => number;
  logError?: (line: string) => void;
  /** The id of a request that came without one (tests make them predictable). */
  newRequestId?: () => string;
}

type Total = { total: number; readFrom: ReadSource };
/** One batch's commit; its total is read once, for every visit of the batch. */
type Commit = { total: () => Promise<Total> };
/** What makes the reader's total include a batch, sent with the read; `check` throws if it did not. */
type CausalRead = { statement: Statement; check(result: unknown): void };

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let promise: Promise<T> | undefined;
  return () => (promise ??= make());
}

export class VisitStore implements VisitStoreLike {
  private readonly writer: Database;
  private readonly reader: Database | undefined;
  private readonly flavor: DbFlavor;
  private readonly replicaWaitMs: number;
  private readonly writeMs: number;
  private readonly totalReadMs: number;
  private readonly readerRetryMs: number;
  private readonly now: () => number;
  private readonly logError: (line: string) => void;
  private readonly newRequestId: () => string;
  private readonly batcher: Batcher<VisitRequest, { visit: RecordedVisit; commit: Commit }>;
  /** Time before which the replica is skipped; 0 = replica believed healthy. */
  private readerSkipUntil = 0;

  constructor(writer: Database, reader: Database | undefined, options: VisitStoreOptions = {}) {
    this.writer = writer;
    this.reader = reader;
    this.flavor = options.flavor ?? "mariadb";
    this.replicaWaitMs = options.replicaWaitMs ?? 100;
    this.writeMs = options.writeMs ?? 500;
    this.totalReadMs = options.totalReadMs ?? 500;
    this.readerRetryMs = options.readerRetryMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.logError = options.logError ?? ((line) => console.error(line));
    this.newRequestId = options.newRequestId ?? (() => `app-${crypto.randomUUID()}`);
    const maxBatch = options.maxBatch ?? 100;
    this.batcher = new Batcher((requests) => this.writeBatch(requests), { maxBatch, maxWaiting: maxBatch });
  }

  async recordVisit(server: string, requestId?: string): Promise<PageVisit> {
    // An id of its own for a request without one: it always counts, and its row can be found.
    const { visit, commit } = await this.batcher.submit({ server, requestId: requestId ?? this.newRequestId() });
    return { ...visit, ...(await commit.total()) };
  }

  /** One transaction for the batch; its total is read after it, while the next batch writes. */
  private async writeBatch(requests: readonly VisitRequest[]): Promise<Array<{ visit: RecordedVisit; commit: Commit }>> {
    const script = visitsScript(requests, { gtid: this.flavor === "mariadb" && this.reader !== undefined });
    const options = { timeoutMs: this.writeMs, now: this.now, logError: this.logError };
    const batch = script.read(await writeScript(this.writer, script.statements, script.commitAt, options));
    // A batch of replays only wrote nothing of its own: no GTID of its own to wait for.
    const commit: Commit = { total: once(() => this.readTotal(batch.inserted > 0 ? batch.gtid : undefined)) };
    return batch.visits.map((visit) => ({ visit, commit }));
  }

  /** The reader's wait for the batch's commit; undefined: only the primary can answer. */
  private causalRead(gtid: string | undefined): CausalRead | undefined {
    // Galera: the local node waits for everything committed before the read, a batch of replays too.
    if (this.flavor === "galera") return { statement: { sql: SYNC_WAIT, params: [] }, check: () => undefined };
    // MariaDB: the batch's own GTID; none for a batch of replays only (it wrote nothing), nor on MySQL.
    if (gtid === undefined) return undefined;
    return {
      statement: { sql: WAIT_FOR_GTID, params: [gtid, this.replicaWaitMs / 1000] },
      check: (waited) => {
        if (!waitedOf(waited)) throw new Error(`it had not applied ${gtid} within ${this.replicaWaitMs} ms`);
      },
    };
  }

  /** Within totalReadMs: the replica within its own script time, the primary within what is left. */
  private async readTotal(gtid: string | undefined): Promise<Total> {
    const deadline = this.now() + this.totalReadMs;
    const causal = this.causalRead(gtid);
    if (causal !== undefined && this.reader !== undefined && this.now() >= this.readerSkipUntil) {
      try {
        // One round trip: the total is read once the wait is over, and used only if it succeeded.
        const [waited, rows] = await this.reader.script([causal.statement, { sql: SELECT_TOTAL, params: [] }]);
        causal.check(waited);
        const total = totalOf(rows);
        if (this.readerSkipUntil !== 0) this.logError("replica answers again; reading totals from it");
        this.readerSkipUntil = 0;
        return { total, readFrom: "replica" };
      } catch (err) {
        // Log once per outage (when it starts), not once per request.
        if (this.readerSkipUntil === 0) this.logError(`replica read failed, reading totals from the primary: ${describe(err)}`);
        this.readerSkipUntil = this.now() + this.readerRetryMs;
      }
    }
    const [rows] = await this.writer.script([{ sql: SELECT_TOTAL, params: [] }], deadline - this.now());
    return { total: totalOf(rows), readFrom: "primary" };
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.close(), this.reader?.close()]);
  }
}
