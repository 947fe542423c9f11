// The keys of `aws.*` about the self-managed database's data volumes: which servers' volumes to
// create from a snapshot (README, "Restore a database volume"), and the rules tying them together.
import { CheckContext } from "../../config/check";
import { ListField } from "../../config/schema";

const RESTORE_FIX =
    'must list { server: "server-3", snapshotId: "snap-0123456789abcdef0" } items: a server with a self-managed database and an EBS snapshot id.';

export const RESTORE_SCHEMA: ListField = {
    type: "list",
    min: 0,
    fix: RESTORE_FIX,
    doc: 'Self-managed database only: servers whose database volume is made anew from an EBS snapshot, as `{server, snapshotId}` (README, "Restore a database volume").',
    item: {
        type: "group",
        names: { args: "DatabaseVolumeRestore", resolved: "DatabaseVolumeRestore" },
        doc: "One database volume to create from a snapshot.",
        fields: {
            server: {
                type: "text",
                required: true,
                valid: (v) => /^server-[1-9][0-9]?$/.test(v),
                fix: RESTORE_FIX,
                doc: 'The server whose database volume it is, e.g. "server-3" (the primary, on the load balancer\'s server).',
            },
            snapshotId: {
                type: "text",
                required: true,
                valid: (v) => /^snap-[0-9a-f]{8,17}$/.test(v),
                fix: RESTORE_FIX,
                doc: 'The EBS snapshot, e.g. "snap-0123456789abcdef0" (one of the daily snapshots, or your own).',
            },
        },
    },
};

/** The keys only a self-managed database reads. */
const SELF_MANAGED_KEYS = ["aws.databaseVolumeGb", "aws.snapshotRetentionDays", "aws.restoreDatabaseVolumes"];

/** Restores name database servers, each once; the volume keys are for a self-managed database only. */
export function checkStorage({ p, args, raw }: CheckContext): void {
    if (args.platform !== "aws") return;
    if (args.database.mode !== "self-managed") {
        for (const key of SELF_MANAGED_KEYS.filter((k) => raw(k) !== undefined)) {
            p.add(key, raw(key), `is only read with database.mode "self-managed" (RDS keeps its own storage and backups); remove it.`);
        }
        return;
    }
    // The primary on the load balancer's server (server-(N+1)), a replica on each of the first web servers.
    const lb = `server-${args.webServers + 1}`;
    const databaseServers = [lb, ...Array.from({ length: args.database.replicas }, (_, i) => `server-${i + 1}`)];
    const seen = new Set<string>();
    for (const { server } of args.aws.restoreDatabaseVolumes) {
        if (!databaseServers.includes(server)) {
            p.add(
                "aws.restoreDatabaseVolumes",
                server,
                `names a server without a database; this stack's databases are on ${databaseServers.join(", ")}.`,
            );
        } else if (seen.has(server)) {
            p.add("aws.restoreDatabaseVolumes", server, "names a server twice; each volume is made from one snapshot.");
        }
        seen.add(server);
    }
}
