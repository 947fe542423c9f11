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
import { GALERA_CHECK_COMMAND, GALERA_CHECK_USER } from "../render/galera";
import { galeraNode } from "./galera";
import { RenderedService, SecretLookup, ServiceContext } from "./types";

/** How long a commit waits for a replica's acknowledgement before the primary goes asynchronous. */
export const SEMI_SYNC_TIMEOUT_MS = 1000;

export function mariadbService(context: ServiceContext, db: MariadbPlan): RenderedService {
    const { topology, view } = context;
    const galera = topology.galera ? galeraNode(context, topology.galera, db) : undefined;
    const config = renderMariadbConfig({
        role: db.role,
        serverId: db.serverId,
        port: PORTS.mysql,
        semiSync: !galera && db.role === "primary" && replicasOf(topology).length > 0,
        semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
        ...(galera ? { galera: galera.config } : {}),
    });
    const bootstrap = (secret: SecretLookup): string => {
        if (db.role === "replica" && !galera) {
            return renderReplicaBootstrap({
                primaryHost: view.reach(db, primaryOf(topology)),
                primaryPort: PORTS.mysql,
                replicationUser: REPLICATION_USER,
                replicationPassword: secret("replicationPassword"),
            });
        }
        // Created on the primary, the users replicate to every replica with the rest. In a Galera
        // cluster every node runs it (it is idempotent), and no node needs a replication user.
        const monitored = topology.exporters.length > 0;
        return renderPrimaryBootstrap({
            database: DATABASE_NAME,
            appUser: APP_DB_USER,
            appPassword: secret("appPassword"),
            ...(galera
                ? { checkUser: GALERA_CHECK_USER }
                : { replicationUser: REPLICATION_USER, replicationPassword: secret("replicationPassword") }),
            ...(monitored ? { monitorUser: MONITOR_USER, monitorPassword: secret("monitorPassword") } : {}),
            clientHost: view.databaseClientHost,
            ...(galera && view.writeAddressAsSource ? { appAlsoFrom: [view.writeAddressAsSource] } : {}),
        });
    };
    return {
        files: [
            { path: MARIADB_CONFIG_PATH, content: config },
            { path: MARIADB_BOOTSTRAP_PATH, withSecrets: bootstrap },
            { path: DATABASE_CA_PATH, withSecrets: (secret) => secret("databaseCaPem") },
            { path: MARIADB_CERT_PATH, withSecrets: (secret) => secret("databaseCertPem") },
            { path: MARIADB_KEY_PATH, withSecrets: (secret) => secret("databaseKeyPem") },
            ...(galera?.files ?? []),
        ],
        ...(galera ? { env: galera.env } : {}),
        // A Galera node is healthy once it is a synced member of the majority (what joiners wait for).
        healthcheck: galera ? ["CMD", GALERA_CHECK_COMMAND] : ["CMD", "mariadb-admin", "ping", "--silent"],
    };
}
