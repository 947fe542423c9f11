// The idle connections of one pool as db.ts sees them: those it keeps warm for the next script
// (reuseMs, no ping), and those it handed back to the pool (pinged before their next use).
//
// db.ts remembers the ones it handed back because that is the only way, with mysql's public API,
// to close them all at once (purge): a PoolConnection's destroy() also takes it out of the pool's
// free list. After a failover every one of them leads to the old node, whose address moved: the
// next packet on each gets a RST, or nothing until a timeout, and mysql's pool would ping them one
// by one (each ping up to acquireTimeout) before it opens a new connection. Closed at once, the
// next script connects to wherever the address is now.
import type { ConnectionLike } from "./db";

export class IdleConnections {
  /** Connections that just served a script, oldest first, each with the time it may be reused until. */
  private readonly warm: Array<{ conn: ConnectionLike; until: number }> = [];
  /**
   * Handed back to the pool and not handed out since. The pool closes some by itself (a failed
   * ping, the server closing an idle one): those are "disconnected" and forgotten at the next release.
   */
  private readonly pooled = new Set<ConnectionLike>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly reuseMs: number,
    private readonly now: () => number,
  ) {}

  /** A connection that just served a script: kept for the next one within reuseMs, or back to the pool. */
  keep(conn: ConnectionLike): void {
    if (this.reuseMs <= 0) return this.release(conn);
    this.warm.push({ conn, until: this.now() + this.reuseMs });
    this.sweeper ??= setTimeout(() => this.sweep(), this.reuseMs).unref();
  }

  /** The most recent warm connection (it answered last), if any is still within reuseMs. */
  takeWarm(): ConnectionLike | undefined {
    for (let w = this.warm.pop(); w !== undefined; w = this.warm.pop()) {
      if (w.until > this.now()) return w.conn;
      this.release(w.conn);
    }
    return undefined;
  }

  /** Hands a connection back to the pool, remembering it as idle there. */
  release(conn: ConnectionLike): void {
    for (const c of this.pooled) if (c.state === "disconnected") this.pooled.delete(c);
    this.pooled.add(conn);
    conn.release();
  }

  /** The pool handed this connection out: it is no longer idle. */
  taken(conn: ConnectionLike): void {
    this.pooled.delete(conn);
  }

  /** Closes every idle connection, warm or pooled; answers how many were still open. */
  purge(): number {
    const all = [...this.warm.splice(0).map((w) => w.conn), ...this.pooled];
    this.pooled.clear();
    clearTimeout(this.sweeper);
    this.sweeper = undefined;
    const open = all.filter((c) => c.state !== "disconnected").length;
    // Destroying one the pool already closed does nothing more.
    for (const conn of all) conn.destroy();
    return open;
  }

  /** The pool is closing: hands back what is kept warm. */
  close(): void {
    clearTimeout(this.sweeper);
    for (const w of this.warm.splice(0)) this.release(w.conn);
  }

  private sweep(): void {
    this.sweeper = undefined;
    for (let w = this.warm[0]; w !== undefined && w.until <= this.now(); w = this.warm[0]) {
      this.warm.shift();
      this.release(w.conn);
    }
    if (this.warm.length > 0) this.sweeper = setTimeout(() => this.sweep(), this.warm[0].until - this.now()).unref();
  }
}
