// What a Galera node adds to a MariaDB service (database.failover "automatic"): its part of the
// server config, and the keepalived that moves the write address between the nodes.
import { GALERA_CHECK_COMMAND, GALERA_ROLE_COMMAND, GaleraConfigInput } from "../render/galera";
import { KEEPALIVED_CONFIG_PATH, renderKeepalivedConfig } from "../render/keepalived";
import { GaleraPlan, MariadbPlan } from "../topology";
import { ServiceContext, ServiceFile } from "./types";

/** The cluster's name in Galera's config: one per stack's network, so one fixed name does. */
export const GALERA_CLUSTER_NAME = "foobar";

export interface GaleraNode {
    readonly config: GaleraConfigInput;
    readonly files: readonly ServiceFile[];
    readonly env: ReadonlyArray<readonly [string, string]>;
}

export function galeraNode({ view }: ServiceContext, galera: GaleraPlan, db: MariadbPlan): GaleraNode {
    const writeAddress = view.writeAddress;
    if (!writeAddress) throw new Error(`${db.key}: automatic failover needs a write address on this platform`);
    const own = view.reach(db, db);
    const peers = galera.nodes.filter((n) => n !== db);
    const priority = galera.writePriority.get(db.key) ?? 0;
    return {
        config: {
            clusterName: GALERA_CLUSTER_NAME,
            nodeName: db.server,
            nodeAddress: own,
            members: galera.nodes.map((n) => (n === db ? own : view.reach(db, n))),
        },
        files: [
            {
                path: KEEPALIVED_CONFIG_PATH,
                content: renderKeepalivedConfig({
                    routerName: db.server,
                    priority,
                    preferredPeer: peers.some((p) => (galera.writePriority.get(p.key) ?? 0) > priority),
                    unicastSource: own,
                    unicastPeers: peers.map((p) => view.reach(db, p)),
                    virtualAddress: writeAddress,
                    role: { kind: "write", checkCommand: GALERA_CHECK_COMMAND, notifyCommand: GALERA_ROLE_COMMAND },
                }),
            },
        ],
        // The node's start script (images/mariadb/galera/start.sh): whether it may start a new
        // cluster, who to ask first, and which interface carries the write address.
        env: [
            ["FOOBAR_GALERA_BOOTSTRAP", galera.bootstrap === db ? "1" : "0"],
            ["FOOBAR_GALERA_PEERS", peers.map((p) => view.reach(db, p)).join(" ")],
            ["KEEPALIVED_UNICAST_SOURCE", own],
        ],
    };
}
