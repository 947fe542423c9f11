// An in-memory Database holding the two tables the store uses, with the schema's one rule that
// matters here: visits.request_id is UNIQUE (NULLs never clash), a clash failing like MariaDB
// (code ER_DUP_ENTRY, errno 1062). A transaction's changes are undone when it rolls back. It
// understands exactly the store's statements and throws on any other.
import { Database, Queryable } from "../src/db";
import { BUMP_TOTAL, INSERT_VISIT, SELECT_TOTAL, SELECT_VISIT_BY_REQUEST } from "../src/store";

export interface VisitRow {
  id: number;
  server: string;
  requestId: string | null;
}

export function duplicateEntry(value: string): Error {
  return Object.assign(new Error(`ER_DUP_ENTRY: Duplicate entry '${value}' for key 'request_id'`), {
    code: "ER_DUP_ENTRY",
    errno: 1062,
    sqlMessage: `Duplicate entry '${value}' for key 'request_id'`,
  });
}

export class MemoryDb implements Database {
  visits: VisitRow[] = [];
  totals = new Map<string, number>();
  log: string[] = [];
  private nextId = 1;

  private run(sql: string, params: readonly unknown[]): unknown {
    this.log.push(`${sql} ${JSON.stringify(params)}`);
    switch (sql) {
      case INSERT_VISIT: {
        const [server, requestId] = params as [string, string | null];
        if (requestId !== null && this.visits.some((v) => v.requestId === requestId)) throw duplicateEntry(requestId);
        const id = this.nextId++;
        this.visits.push({ id, server, requestId });
        return { insertId: id, affectedRows: 1 };
      }
      case SELECT_VISIT_BY_REQUEST:
        return this.visits.filter((v) => v.requestId === params[0]).map((v) => ({ id: v.id }));
      case BUMP_TOTAL: {
        const server = params[0] as string;
        const before = this.totals.get(server);
        this.totals.set(server, (before ?? 0) + 1);
        return { affectedRows: before === undefined ? 1 : 2 };
      }
      case SELECT_TOTAL:
        return [{ total: [...this.totals.values()].reduce((a, b) => a + b, 0) }];
      default:
        throw new Error(`MemoryDb does not know: ${sql}`);
    }
  }

  query(sql: string, params: readonly unknown[]): Promise<unknown> {
    return new Promise((resolve) => resolve(this.run(sql, params)));
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const saved = { visits: [...this.visits], totals: new Map(this.totals) };
    this.log.push("BEGIN");
    try {
      const result = await work({ query: (sql, params) => this.query(sql, params) });
      this.log.push("COMMIT");
      return result;
    } catch (err) {
      // InnoDB keeps the auto-increment counter on rollback; so does this.
      this.visits = saved.visits;
      this.totals = saved.totals;
      this.log.push("ROLLBACK");
      throw err;
    }
  }

  async close(): Promise<void> {}
}
