// The keys of `aws.rds.*`: the managed database (RDS for MySQL) as one DB instance or as a Multi-AZ
// DB cluster, and the rules tying them to `database.*` and to the network.
import { CheckContext } from "../../config/check";
import { MAX_RDS_REPLICAS } from "../../config/coreSchema";
import { GroupField } from "../../config/schema";

/**
 * The instance class families Multi-AZ DB clusters run on, as the RDS User Guide lists them
 * ("Creating a Multi-AZ DB cluster", DB instance class). AWS adds families over time and not every
 * Region offers each: `aws rds describe-orderable-db-instance-options --engine mysql` tells.
 */
export const CLUSTER_CLASS_FAMILIES = ["db.m5d", "db.m6gd", "db.r5d", "db.r6gd", "db.x2iedn"];
/**
 * A Multi-AZ DB cluster's storage, per instance: gp3 takes the provisioned IOPS that
 * CreateDBCluster requires only from 400 GiB on (MySQL), where 12,000 IOPS is its baseline.
 */
export const CLUSTER_STORAGE = { type: "gp3", minGb: 400, iops: 12000 } as const;
/** A Multi-AZ DB cluster has two readable standbys: the read replicas it offers. */
export const CLUSTER_READERS = 2;

const CLUSTER = '"multi-az-cluster"';

export const RDS_SCHEMA: GroupField = {
    type: "group",
    names: { args: "RdsArgs", resolved: "ResolvedRds" },
    doc: "The managed database (`database.mode: managed`).",
    fields: {
        deployment: {
            type: "choice",
            typeName: "RdsDeployment",
            values: ["instance", "multi-az-cluster"],
            default: "instance",
            doc: "`instance`: a DB instance (Multi-AZ with `aws.rds.multiAz`: one standby, failover typically 60–120 s) and `database.replicas` read replicas; `multi-az-cluster`: a Multi-AZ DB cluster, a writer and two readable standbys in three availability zones (failover typically under 35 s), whose reader endpoint serves the reads.",
        },
        instanceClass: {
            type: "text",
            default: "db.t4g.micro",
            valid: (v) => /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(v),
            fix: `must be an RDS instance class like "db.t4g.micro".`,
            doc: `The RDS instance class of the primary and its read replicas; with \`multi-az-cluster\`, of its three instances, a class of ${CLUSTER_CLASS_FAMILIES.join(", ")}.`,
        },
        allocatedStorageGb: {
            type: "integer",
            min: 20,
            max: 65536,
            derive: ({ siblings }) => (siblings.deployment === "multi-az-cluster" ? { default: CLUSTER_STORAGE.minGb } : { default: 20 }),
            defaultDoc: `\`20\` (instance), \`${CLUSTER_STORAGE.minGb}\` (multi-az-cluster)`,
            doc: `Storage of the primary (of each cluster instance), in GB (20–65536; ${CLUSTER_STORAGE.minGb} or more for \`multi-az-cluster\`).`,
        },
        multiAz: {
            type: "flag",
            default: false,
            doc: "With `deployment: instance`, a synchronous standby in a second availability zone that RDS fails over to.",
        },
        backupRetentionDays: { type: "integer", min: 7, max: 35, default: 7, doc: "Days of automated backups kept (7–35)." },
        deletionProtection: { type: "flag", default: false, doc: "RDS refuses to delete the primary while set." },
        finalSnapshot: { type: "flag", default: false, doc: "Take a snapshot of the primary when it is deleted." },
    },
};

/** The class family: "db.m6gd" of "db.m6gd.large". */
const familyOf = (instanceClass: string): string => instanceClass.split(".").slice(0, 2).join(".");

/**
 * `aws.rds` only with a managed database; automatic failover needs a standby RDS promotes; a
 * Multi-AZ DB cluster needs a class and storage it runs on, at most two read replicas and three zones.
 */
export function checkRds({ p, args, raw }: CheckContext): void {
    if (args.platform !== "aws") return;
    if (args.database.mode !== "managed") {
        if (raw("aws.rds") !== undefined) {
            p.add("aws.rds", raw("aws.rds"), `is only read with database.mode "managed"; remove it, or set database.mode to "managed".`);
        }
        return;
    }
    const { deployment, multiAz, instanceClass, allocatedStorageGb } = args.aws.rds;
    const judged = (...keys: string[]) => !keys.some((k) => p.has(k));
    if (
        args.database.failover === "automatic" &&
        deployment === "instance" &&
        !multiAz &&
        judged("aws.rds.multiAz", "aws.rds.deployment")
    ) {
        p.add(
            "database.failover",
            "automatic",
            `with database.mode "managed" needs a standby that RDS promotes by itself: set aws.rds.multiAz to true (a Multi-AZ DB instance, failover typically 60–120 s) or aws.rds.deployment to ${CLUSTER} (two readable standbys, typically under 35 s); or use "manual".`,
        );
    }
    if (deployment !== "multi-az-cluster" || !judged("aws.rds.deployment")) return;
    if (!CLUSTER_CLASS_FAMILIES.includes(familyOf(instanceClass)) && judged("aws.rds.instanceClass")) {
        p.add(
            "aws.rds.instanceClass",
            instanceClass,
            `is not a class Multi-AZ DB clusters run on; with aws.rds.deployment ${CLUSTER} use one of ${CLUSTER_CLASS_FAMILIES.join(", ")}, like "db.m6gd.large".`,
        );
    }
    if (allocatedStorageGb < CLUSTER_STORAGE.minGb && judged("aws.rds.allocatedStorageGb")) {
        p.add(
            "aws.rds.allocatedStorageGb",
            allocatedStorageGb,
            `must be at least ${CLUSTER_STORAGE.minGb} with aws.rds.deployment ${CLUSTER}: its gp3 storage takes the IOPS a cluster needs only from ${CLUSTER_STORAGE.minGb} GB on; raise it, or leave it unset.`,
        );
    }
    if (raw("aws.rds.multiAz") !== undefined) {
        p.add(
            "aws.rds.multiAz",
            raw("aws.rds.multiAz"),
            `is only read with aws.rds.deployment "instance" (a Multi-AZ DB cluster always keeps its standbys in three availability zones); remove it.`,
        );
    }
    if (args.database.replicas > CLUSTER_READERS && judged("database.replicas")) {
        p.add(
            "database.replicas",
            args.database.replicas,
            `must be 0 to ${CLUSTER_READERS} with aws.rds.deployment ${CLUSTER}: its two readable standbys are the read replicas (1 or 2: the app reads through the cluster's reader endpoint, 0: from the writer); lower it, or use deployment "instance" for up to ${MAX_RDS_REPLICAS} RDS read replicas.`,
        );
    }
    checkClusterSubnets({ p, args });
}

/** The cluster's writer and standbys go one to each of three zones: the first three private subnets. */
function checkClusterSubnets({ p, args }: Pick<CheckContext, "p" | "args">): void {
    const subnets = args.aws.existingVpc?.privateSubnets ?? [];
    // Fewer than two, or all in one zone, is refused already (checkAws), with the fix for any managed database.
    const refused = subnets.length < 2 || new Set(subnets.map((s) => s.availabilityZone)).size < 2;
    if (!args.aws.existingVpc || refused || p.has("aws.existingVpc.privateSubnets")) return;
    const zones = subnets.slice(0, 3).map((s) => s.availabilityZone);
    if (new Set(zones).size < 3) {
        p.add(
            "aws.existingVpc.privateSubnets",
            zones,
            `must begin with three subnets in three different availability zones with aws.rds.deployment ${CLUSTER}: the cluster's writer and two standbys go one to each.`,
        );
    }
}
