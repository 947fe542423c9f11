// The rule of database.failover that spans several keys: automatic failover needs a quorum.
import { CheckContext } from "./check";

/** Galera's quorum: a majority of the nodes must survive, and two nodes have no majority without both. */
export const MIN_AUTOMATIC_FAILOVER_NODES = 3;

export function checkFailover({ p, args }: Pick<CheckContext, "p" | "args">): void {
    const { failover, mode, replicas } = args.database;
    if (failover !== "automatic" || mode !== "self-managed" || p.has("database.replicas")) return;
    const nodes = replicas + 1;
    if (nodes < MIN_AUTOMATIC_FAILOVER_NODES) {
        p.add(
            "database.failover",
            failover,
            `needs at least ${MIN_AUTOMATIC_FAILOVER_NODES} database nodes for a quorum (the primary and ${replicas} replica(s) make ${nodes}: after losing one, the rest would not be a majority); set database.replicas to ${MIN_AUTOMATIC_FAILOVER_NODES - 1} or more (with as many web servers), or use "manual".`,
        );
    }
}
