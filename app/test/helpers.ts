// Shared test helpers: promise plumbing, a fake VisitStore, an HTTP client.
import * as http from "http";
import { AddressInfo } from "net";
import { PageVisit, ReadSource, VisitStoreLike } from "../src/store";

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A VisitStore whose answers each test sets; records what the server asked. */
export class FakeStore implements VisitStoreLike {
  recorded: string[] = [];
  requestIds: Array<string | undefined> = [];
  /** What recordVisit says about the request id. */
  replayed = false;
  closed = 0;
  nextVisitId = 7;
  total = 42;
  readFrom: ReadSource = "replica";
  failWith: Error | undefined;
  /** When set, recordVisit waits for it (a "slow database"). */
  gate: Promise<void> | undefined;
  /** Resolved when recordVisit is entered. */
  entered = deferred<void>();

  async recordVisit(server: string, requestId?: string): Promise<PageVisit> {
    this.recorded.push(server);
    this.requestIds.push(requestId);
    this.entered.resolve();
    if (this.gate !== undefined) await this.gate;
    if (this.failWith !== undefined) throw this.failWith;
    return { visitId: this.nextVisitId, replayed: this.replayed, total: this.total, readFrom: this.readFrom };
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}

/** Listens on a free loopback port: the site's server, or its metrics' server. */
export async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function reply(res: http.IncomingMessage): Promise<Reply> {
  return new Promise((resolve, reject) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => (body += chunk));
    res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    res.on("error", reject);
  });
}

export interface RequestOptions {
  method?: string;
  path?: string;
  agent?: http.Agent | false;
  headers?: http.OutgoingHttpHeaders;
}

/** One request over loopback; a fresh connection unless an agent is given. */
export function request(port: number, options: RequestOptions = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        agent: options.agent ?? false,
        headers: options.headers ?? {},
      },
      (res) => reply(res).then(resolve, reject),
    );
    req.on("error", reject);
    req.end();
  });
}
