// What a failed script's error says (db.ts): whether its statements reached the server, and
// whether the connection, or the server behind it, is gone. The codes and the `fatal` flag are
// those of mysqljs/mysql 2.18 (lib/protocol/Protocol.js, lib/Connection.js): a server's error
// answer to a statement is never fatal and carries the statement's position (`index`); a socket
// that failed, closed or timed out is fatal, as is a failed connect or handshake.

/** The error of a connection that did not come in time; `code` like mysql's own. */
export class AcquireTimeoutError extends Error {
  readonly code = "FOOBAR_ACQUIRE_TIMEOUT";
  constructor(ms: number) {
    super(`no database connection within ${ms} ms`);
    this.name = "AcquireTimeoutError";
  }
}

/** A script that ran out of time before its statements were sent; `code` like mysql's own. */
export class OutOfTimeError extends Error {
  readonly code = "FOOBAR_OUT_OF_TIME";
  constructor(ms: number) {
    super(`script not done within ${ms} ms`);
    this.name = "OutOfTimeError";
  }
}

/** mysql's refusals to send on a connection that has already ended: nothing reaches the server. */
const REFUSED = new Set(["PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR", "PROTOCOL_ENQUEUE_AFTER_QUIT", "PROTOCOL_ENQUEUE_AFTER_DESTROY"]);
/** Errors of scripts that failed before their statements were sent (db.ts marks them). */
const unsent = new WeakSet<object>();

/** db.ts: this script failed before its statements were sent. */
export function markSentNothing(err: unknown): void {
  if (typeof err === "object" && err !== null) unsent.add(err);
}

const codeOf = (err: unknown): unknown => (typeof err === "object" && err !== null ? (err as { code?: unknown }).code : undefined);

/**
 * True when none of a failed script's statements reached the server, so none of them ran: no
 * connection (connect refused or timed out, unreachable, a failed handshake, the pool's queue full
 * or its wait over), no time left to send, or mysql refused to send on a connection already dead.
 */
export function sentNothing(err: unknown): boolean {
  return (typeof err === "object" && err !== null && unsent.has(err)) || REFUSED.has(codeOf(err) as string);
}

/**
 * True when the error says the connection, or the server behind it, is gone: mysql's fatal errors
 * (the socket failed, closed or timed out, with or without the script sent; a failed connect or
 * handshake), a connection found dead, or no connection in time (the pool pings its idle ones, and
 * a ping to a node that vanished waits out acquireTimeout). A server's error answer is not one.
 */
export function connectionLost(err: unknown): boolean {
  const fatal = typeof err === "object" && err !== null && (err as { fatal?: unknown }).fatal === true;
  return fatal || REFUSED.has(codeOf(err) as string) || err instanceof AcquireTimeoutError;
}
