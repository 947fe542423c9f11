// Opens the mysql pools behind the VisitStore. This is the only file that
// loads the driver (Debian's node-mysql in the image); main.ts imports it
// only after the config is valid, and the tests never do.
import * as mysql from "mysql";
import { DbConfig, DbEndpoint } from "./config";
import { Database, PoolLike, poolDatabase } from "./db";
import { AppMetrics, PoolName } from "./metrics";
import { MAX_BATCH, PoolLimits, READER_LIMITS, REPLICA_WAIT_MS, REUSE_MS, TOTAL_READ_MS, WRITER_LIMITS, poolConfig } from "./poolConfig";
import { VisitStore } from "./store";
import { TlsStarter, enforceServerIdentity } from "./tlsIdentity";

type Counts = Pick<AppMetrics, "countDatabaseError">;

function open(
  db: DbConfig,
  endpoint: DbEndpoint,
  limits: PoolLimits,
  name: PoolName,
  metrics: Counts,
  logError?: (line: string) => void,
): Database {
  const pool: PoolLike = mysql.createPool(poolConfig(db, endpoint, limits));
  return poolDatabase(pool, {
    acquireTimeoutMs: limits.acquireTimeoutMs,
    scriptTimeoutMs: limits.scriptTimeoutMs,
    reuseMs: REUSE_MS,
    name,
    logError,
    onFailure: () => metrics.countDatabaseError(name),
  });
}

/** Each pool's failed scripts are counted in metrics, by the pool's name. */
export function openVisitStore(db: DbConfig, metrics: Counts, logError?: (line: string) => void): VisitStore {
  if (db.tls !== undefined) {
    // The class every pooled connection inherits from; not part of mysql's typed API, so the
    // path is the one of the source read for tlsIdentity.ts (lib/Connection.js, 2.18.1).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const connection = require("mysql/lib/Connection") as { prototype: TlsStarter };
    enforceServerIdentity(connection.prototype);
  }
  const writer = open(db, db.writer, WRITER_LIMITS, "writer", metrics, logError);
  const reader = db.reader === undefined ? undefined : open(db, db.reader, READER_LIMITS, "reader", metrics, logError);
  return new VisitStore(writer, reader, {
    flavor: db.flavor,
    maxBatch: MAX_BATCH,
    // A batch and its one retry share the writer's script time: the page's budget holds (poolConfig.ts).
    writeMs: WRITER_LIMITS.scriptTimeoutMs,
    replicaWaitMs: REPLICA_WAIT_MS,
    totalReadMs: TOTAL_READ_MS,
    logError,
  });
}
