// An in-memory primary and replica holding the two tables the store uses, with the schema's rule
// that matters here: visits.request_id is UNIQUE, and INSERT IGNORE skips a row that clashes (with
// a stored row, or one earlier in the same statement), reporting like MariaDB: affectedRows = rows
// inserted, insertId = the first inserted row's id. Scripts run like db.ts's: statement by
// statement, none after one that fails, and what a failed script left open is rolled back. A
// transaction that wrote gets the next GTID (domain 0, server 1). The replica applies the
// primary's commits only when a MASTER_GTID_WAIT asks for them, or, as a Galera node, when a
// session with wsrep_sync_wait reads (unless it is `stuck`: the wait times out, the read fails as
// mysql's script timeout does). Both understand exactly the store's statements and throw on any other.
import { Database, Statement } from "../src/db";
import {
  BUMP_TOTAL,
  COUNT_INSERTED,
  SELECT_LAST_GTID,
  SELECT_TOTAL,
  SYNC_WAIT,
  WAIT_FOR_GTID,
  insertVisitsSql,
  selectVisitsSql,
} from "../src/visitSql";

export interface VisitRow {
  id: number;
  server: string;
  requestId: string;
}

/** The statement's shape with `n` rows (the store builds its multi-row statements the same way). */
function shapeOf(sql: string): { kind: "insert" | "select"; rows: number } | undefined {
  const rows = (sql.match(/\?/g) ?? []).length;
  if (sql === insertVisitsSql(rows / 2)) return { kind: "insert", rows: rows / 2 };
  if (sql === selectVisitsSql(rows)) return { kind: "select", rows };
  return undefined;
}

const sumOf = (totals: ReadonlyMap<string, number>): number => [...totals.values()].reduce((a, b) => a + b, 0);

abstract class ScriptDb implements Database {
  /** Every statement run, with its params; "ROLLBACK" for a failed script's rollback. */
  log: string[] = [];
  /** The time each script was given (undefined: the pool's default). */
  timeouts: Array<number | undefined> = [];
  closed = 0;
  /** When set, every script fails with it, at its first statement. */
  failWith: Error | undefined;
  /** When set, the statement with this SQL fails with this error (`once`: only the next time). */
  failAt: { sql: string; err: Error; once?: boolean } | undefined;
  /** The reason of every purge(). */
  purges: string[] = [];
  protected inTransaction = false;
  protected abstract run(sql: string, params: readonly unknown[]): unknown;
  protected began(): void {}
  protected committed(): void {}
  protected rolledBack(): void {}

  async script(statements: readonly Statement[], timeoutMs?: number): Promise<unknown[]> {
    this.timeouts.push(timeoutMs);
    const results: unknown[] = [];
    try {
      for (const { sql, params } of statements) {
        this.log.push(`${sql} ${JSON.stringify(params)}`);
        if (this.failWith !== undefined) throw this.failWith;
        if (this.failAt?.sql === sql) {
          const { err, once } = this.failAt;
          if (once === true) this.failAt = undefined;
          throw err;
        }
        results.push(this.step(sql, params));
      }
    } catch (err) {
      if (this.inTransaction) {
        this.log.push("ROLLBACK");
        this.inTransaction = false;
        this.rolledBack();
      }
      throw err;
    }
    return results;
  }

  private step(sql: string, params: readonly unknown[]): unknown {
    if (sql === "START TRANSACTION") {
      this.inTransaction = true;
      this.began();
    } else if (sql === "COMMIT") {
      this.inTransaction = false;
      this.committed();
    } else {
      return this.run(sql, params);
    }
    return { affectedRows: 0 };
  }

  purge(reason: string): void {
    this.purges.push(reason);
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}

export class MemoryDb extends ScriptDb {
  visits: VisitRow[] = [];
  totals = new Map<string, number>();
  /** The sum of the totals after each GTID: commitTotals[n - 1] for 0-1-n. */
  commitTotals: number[] = [];
  lastGtid = "";
  private nextId = 1;
  private wrote = false;
  private rowCount = 0;
  private inserted = 0;
  private saved = { visits: this.visits, totals: this.totals };

  protected run(sql: string, params: readonly unknown[]): unknown {
    const shape = shapeOf(sql);
    if (shape?.kind === "insert") {
      let insertId = 0;
      this.rowCount = 0;
      for (let i = 0; i < shape.rows; i++) {
        const [server, requestId] = [params[2 * i] as string, params[2 * i + 1] as string];
        if (this.visits.some((v) => v.requestId === requestId)) continue;
        const id = this.nextId++;
        this.visits.push({ id, server, requestId });
        this.rowCount += 1;
        if (insertId === 0) insertId = id;
      }
      this.wrote ||= this.rowCount > 0;
      return { affectedRows: this.rowCount, insertId };
    }
    if (shape?.kind === "select") {
      return this.visits.filter((v) => params.includes(v.requestId)).map((v) => ({ id: v.id, request_id: v.requestId }));
    }
    switch (sql) {
      case COUNT_INSERTED:
        this.inserted = this.rowCount;
        return { affectedRows: 0 };
      case BUMP_TOTAL: {
        const server = params[0] as string;
        const before = this.totals.get(server);
        this.totals.set(server, (before ?? 0) + this.inserted);
        this.wrote ||= before === undefined || this.inserted > 0;
        return { affectedRows: before === undefined ? 1 : this.inserted > 0 ? 2 : 0 };
      }
      case SELECT_TOTAL:
        return [{ total: sumOf(this.totals) }];
      case SELECT_LAST_GTID:
        return [{ gtid: this.lastGtid }];
      default:
        throw new Error(`MemoryDb does not know: ${sql}`);
    }
  }

  protected began(): void {
    this.saved = { visits: [...this.visits], totals: new Map(this.totals) };
    this.wrote = false;
  }

  protected committed(): void {
    if (!this.wrote) return;
    this.commitTotals.push(sumOf(this.totals));
    this.lastGtid = `0-1-${this.commitTotals.length}`;
  }

  protected rolledBack(): void {
    // InnoDB keeps the auto-increment counter on rollback; so does this.
    this.visits = this.saved.visits;
    this.totals = this.saved.totals;
  }
}

export class MemoryReplica extends ScriptDb {
  /** The sequence number of the last GTID applied. */
  applied = 0;
  /** A replica that applies nothing (MASTER_GTID_WAIT times out, a causal read fails). */
  stuck = false;
  /** This session's wsrep_sync_wait (Galera); the fake has one session. */
  private syncWait = false;

  constructor(private readonly primary: MemoryDb) {
    super();
  }

  protected run(sql: string, params: readonly unknown[]): unknown {
    switch (sql) {
      case WAIT_FOR_GTID: {
        const seq = Number(/^0-1-(\d+)$/.exec(String(params[0]))?.[1]);
        if (!this.stuck) this.applied = this.primary.commitTotals.length;
        return [{ waited: this.applied >= seq ? 0 : -1 }];
      }
      case SYNC_WAIT:
        this.syncWait = true;
        return { affectedRows: 0 };
      case SELECT_TOTAL:
        if (this.syncWait && this.stuck) {
          throw Object.assign(new Error("Query inactivity timeout"), { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true });
        }
        if (this.syncWait) this.applied = this.primary.commitTotals.length;
        return [{ total: this.applied === 0 ? 0 : this.primary.commitTotals[this.applied - 1] }];
      default:
        throw new Error(`MemoryReplica does not know: ${sql}`);
    }
  }
}
