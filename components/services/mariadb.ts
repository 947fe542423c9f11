// A MariaDB server of ours, by its role: server config and the bootstrap SQL (which holds passwords).
import {
    DATABASE_CA_PATH,
    MARIADB_BOOTSTRAP_PATH,
    MARIADB_CERT_PATH,
    MARIADB_CONFIG_PATH,
    MARIADB_KEY_PATH,
    renderMariadbConfig,
    renderPrimaryBootstrap,
    renderReplicaBootstrap,
} from "../render/mariadb";
import { APP_DB_USER, DATABASE_NAME, MONITOR_USER, MariadbPlan, PORTS, REPLICATION_USER, primaryOf, replicasOf } from "../topology";
import { RenderedService, SecretLookup, ServiceContext } from "./types";

/** How long a commit waits for a replica's acknowledgement before the primary goes asynchronous. */
export const SEMI_SYNC_TIMEOUT_MS = 1000;

export function mariadbService({ topology, view }: ServiceContext, db: MariadbPlan): RenderedService {
    const config = renderMariadbConfig({
        role: db.role,
        serverId: db.serverId,
        port: PORTS.mysql,
        semiSync: db.role === "primary" && replicasOf(topology).length > 0,
        semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
    });
    const bootstrap = (secret: SecretLookup): string => {
        if (db.role === "replica") {
            return renderReplicaBootstrap({
                primaryHost: view.reach(db, primaryOf(topology)),
                primaryPort: PORTS.mysql,
                replicationUser: REPLICATION_USER,
                replicationPassword: secret("replicationPassword"),
            });
        }
        // Created on the primary, the users replicate to every replica with the rest.
        const monitored = topology.exporters.length > 0;
        return renderPrimaryBootstrap({
            database: DATABASE_NAME,
            appUser: APP_DB_USER,
            appPassword: secret("appPassword"),
            replicationUser: REPLICATION_USER,
            replicationPassword: secret("replicationPassword"),
            ...(monitored ? { monitorUser: MONITOR_USER, monitorPassword: secret("monitorPassword") } : {}),
            clientHost: view.databaseClientHost,
        });
    };
    return {
        files: [
            { path: MARIADB_CONFIG_PATH, content: config },
            { path: MARIADB_BOOTSTRAP_PATH, withSecrets: bootstrap },
            { path: DATABASE_CA_PATH, withSecrets: (secret) => secret("databaseCaPem") },
            { path: MARIADB_CERT_PATH, withSecrets: (secret) => secret("databaseCertPem") },
            { path: MARIADB_KEY_PATH, withSecrets: (secret) => secret("databaseKeyPem") },
        ],
        healthcheck: ["CMD", "mariadb-admin", "ping", "--silent"],
    };
}
