// Opens the mysql pools behind the VisitStore. This is the only file that
// loads the driver (Debian's node-mysql in the image); main.ts imports it
// only after the config is valid, and the tests never do.
import * as mysql from "mysql";
import { DbConfig, DbEndpoint } from "./config";
import { Database, PoolLike, poolDatabase } from "./db";
import { VisitStore } from "./store";

// The replica is optional: give up on it quickly and read from the primary.
const READER = { connectTimeoutMs: 1000, queryTimeoutMs: 2000 };
const WRITER = { connectTimeoutMs: 2000, queryTimeoutMs: 5000 };

function open(db: DbConfig, endpoint: DbEndpoint, limits: typeof READER): Database {
  const pool: PoolLike = mysql.createPool({
    host: endpoint.host,
    port: endpoint.port,
    user: db.user,
    password: db.password.reveal(),
    database: db.database,
    connectTimeout: limits.connectTimeoutMs,
    // Bounds the whole connect + handshake when the pool opens a connection.
    acquireTimeout: limits.connectTimeoutMs,
    connectionLimit: 10,
    charset: "utf8mb4",
    timezone: "Z",
  });
  return poolDatabase(pool, { queryTimeoutMs: limits.queryTimeoutMs });
}

export function openVisitStore(db: DbConfig, logError?: (line: string) => void): VisitStore {
  const writer = open(db, db.writer, WRITER);
  const reader = db.reader === undefined ? undefined : open(db, db.reader, READER);
  return new VisitStore(writer, reader, { logError });
}
