// A batch's script on the writer (store.ts), run once more when, and only when, the app knows its
// transaction did not commit. After a failover the first batch to reach the old node fails; when
// nothing of it can have committed, running it again on a new connection (to wherever the write
// address is now) saves its visits a 503 and HAProxy's replay. When it may have committed, it is
// not run again here: the batch fails, each page answers 503, and HAProxy replays the request with
// the same X-Request-Id, which visits.request_id (UNIQUE) records once, however often it comes.
// (Even a second run of a committed batch would count nothing twice, for that same reason; the
// rule keeps the retry's meaning simple: it never doubts what the first run did.)
import { Database, Statement, sentNothing } from "./db";

/**
 * Errors a server may answer to the COMMIT itself, having rolled the transaction back: a deadlock
 * (on Galera also a failed certification, or a conflicting replicated write that aborted ours), a
 * Galera node outside the majority ("WSREP has not yet prepared node for application use"), a
 * read-only server. Any other error answered to a COMMIT (interrupted, killed, the server shutting
 * down) may come after the commit was made durable: unknown.
 */
export const ROLLED_BACK_AT_COMMIT: ReadonlyMap<number, string> = new Map([
  [1213, "ER_LOCK_DEADLOCK"],
  [1047, "ER_UNKNOWN_COM_ERROR"],
  [1290, "ER_OPTION_PREVENTS_STATEMENT"],
]);

export type CommitState = "not committed" | "unknown";

/**
 * What a failed batch script's error says of its COMMIT, the statement at `commitAt`:
 *  - "not committed" when nothing was sent (db.ts: sentNothing), or the server answered a statement
 *    before the COMMIT with an error (it runs none after a failed one, so the COMMIT never ran;
 *    db.ts rolls the transaction back or closes the connection), or answered the COMMIT itself
 *    with one of ROLLED_BACK_AT_COMMIT;
 *  - "unknown" otherwise: the connection failed or timed out after the script was sent (a COMMIT
 *    may have run without its answer arriving), an error after the COMMIT (it committed), an
 *    error that does not say where it happened.
 */
export function commitStateOf(err: unknown, commitAt: number): CommitState {
  if (sentNothing(err)) return "not committed";
  if (typeof err !== "object" || err === null) return "unknown";
  // mysql's error answer from the server: `errno` the server's code, `index` the statement's
  // position in the script; never `fatal` (fatal is the connection's failure).
  const { fatal, errno, index } = err as { fatal?: unknown; errno?: unknown; index?: unknown };
  if (fatal === true || typeof errno !== "number" || typeof index !== "number") return "unknown";
  if (index < commitAt) return "not committed";
  return index === commitAt && ROLLED_BACK_AT_COMMIT.has(errno) ? "not committed" : "unknown";
}

export interface WriteOptions {
  /** The batch's time, the retry's included (poolConfig.ts: WRITER_LIMITS.scriptTimeoutMs). */
  timeoutMs: number;
  now: () => number;
  logError: (line: string) => void;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs the script on the writer within timeoutMs; if it failed and surely did not commit, runs it
 * once more, on a new connection, within what is left. Never more than once: a second failure is
 * the batch's failure (503s, replayed by HAProxy).
 */
export async function writeScript(
  writer: Database,
  statements: readonly Statement[],
  commitAt: number,
  options: WriteOptions,
): Promise<unknown[]> {
  const deadline = options.now() + options.timeoutMs;
  try {
    return await writer.script(statements, options.timeoutMs);
  } catch (err) {
    const left = deadline - options.now();
    if (commitStateOf(err, commitAt) !== "not committed" || left <= 0) throw err;
    options.logError(`batch did not commit, running it once more on a new connection (${left} ms left): ${describe(err)}`);
    // Its connection, and the other idle ones, may lead to a node that cannot write (the old
    // writer, a node outside the majority): the retry opens a connection to the write address.
    writer.purge("a batch runs once more");
    return await writer.script(statements, left);
  }
}
