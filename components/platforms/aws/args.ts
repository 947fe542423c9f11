// The aws platform's section of stack config (`aws.*`): types, defaults and docs (see
// config/schema.ts), and the rules that tie its keys together.
import { ExistingSubnet } from "../../config/args";
import { CheckContext } from "../../config/check";
import { isPrivateIpv4Cidr, parseCidr, within } from "../../config/net";
import { GroupField, TextField } from "../../config/schema";
import { ALARM_EMAIL_SCHEMA } from "./alarmArgs";
import { RDS_SCHEMA, checkRds } from "./rdsArgs";
import { RESTORE_SCHEMA, checkStorage } from "./storageArgs";
import { WRITE_OVERLAY_IP, overlayClashes } from "./writeAddress";

export const DEBIAN_AMI_OWNER = "136693071363";
/** The broadest range SSH may be opened to: a /16 (65,536 addresses); anything wider is refused. */
const MIN_ADMIN_PREFIX = 16;
const text = (o: Omit<TextField, "type">): TextField => ({ type: "text", ...o });
const SUBNETS_FIX = (min: number) =>
    `must list at least ${min} subnets as { id: "subnet-...", cidr: "10.0.1.0/24", availabilityZone: "eu-west-1a" }, in two availability zones.`;
const subnets = (min: number, doc: string) => ({
    type: "list" as const,
    min,
    fix: SUBNETS_FIX(2),
    required: min > 0,
    doc,
    item: {
        type: "group" as const,
        names: { args: "ExistingSubnet", resolved: "ExistingSubnet" },
        doc: "A subnet of the existing VPC.",
        fields: {
            // An item is judged with its list, whose fix shows the whole shape.
            id: text({
                required: true,
                valid: (v) => /^subnet-[0-9a-f]{8,17}$/.test(v),
                fix: SUBNETS_FIX(2),
                doc: 'Subnet id, e.g. "subnet-0abc...".',
            }),
            cidr: text({
                required: true,
                valid: (v) => parseCidr(v) !== undefined,
                fix: SUBNETS_FIX(2),
                doc: "Its IPv4 CIDR: instance addresses are planned inside it.",
            }),
            availabilityZone: text({
                required: true,
                valid: (v) => /^[a-z]{2}(-[a-z]+)+-\d[a-z]$/.test(v),
                fix: SUBNETS_FIX(2),
                doc: 'Its availability zone, e.g. "eu-west-1a": the servers and RDS are spread over two.',
            }),
        },
    },
});
const instanceType = (value: string, doc: string) =>
    text({
        default: value,
        valid: (v) => /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(v),
        fix: `must be an EC2 instance type like "t3.micro".`,
        doc,
    });

export const AWS_SCHEMA: GroupField = {
    type: "group",
    names: { args: "AwsArgs", resolved: "ResolvedAws" },
    doc: "Settings only the aws platform reads.",
    fields: {
        vpcCidr: text({
            default: "10.0.0.0/16",
            valid: (v) => isPrivateIpv4Cidr(v, 16, 20),
            fix: `must be a private IPv4 CIDR with a prefix from /16 to /20, like "10.0.0.0/16".`,
            doc: "The VPC's range (/16 to /20), cut into /24 subnets; with `aws.existingVpc`, that VPC's range.",
        }),
        existingVpc: {
            type: "group",
            optional: true,
            names: { args: "ExistingVpcArgs", resolved: "ResolvedExistingVpc" },
            doc: "An existing VPC and its subnets instead of a new one.",
            fields: {
                vpcId: text({
                    required: true,
                    valid: (v) => /^vpc-[0-9a-f]{8,17}$/.test(v),
                    fix: `must be a VPC id like "vpc-0123456789abcdef0".`,
                    doc: 'The VPC\'s id, e.g. "vpc-0123456789abcdef0".',
                }),
                publicSubnets: subnets(2, "At least two public subnets, in two availability zones, as `{id, cidr}`."),
                privateSubnets: subnets(0, "Two private subnets as `{id, cidr}`, needed with `aws.privateSubnets`."),
            },
        },
        privateSubnets: {
            type: "flag",
            default: false,
            doc: "Web servers (and RDS) in private subnets behind a NAT gateway, instead of public ones locked by security groups.",
        },
        amiId: text({
            valid: (v) => /^ami-[0-9a-f]{8,17}$/.test(v),
            fix: `must be an AMI id like "ami-0123456789abcdef0", or left unset for the newest Debian 12.`,
            defaultDoc: "the newest Debian 12, pinned",
            doc: 'The image of every instance. Unset: the newest Debian 12 at the first `up`, then pinned in the stack\'s state until you move on (README, "Updating the stacks").',
        }),
        amiOwner: text({
            default: DEBIAN_AMI_OWNER,
            valid: (v) => /^\d{12}$/.test(v),
            fix: `must be a 12-digit AWS account id; Debian's is "${DEBIAN_AMI_OWNER}".`,
            doc: "The account whose newest Debian 12 image is used when `aws.amiId` is unset (Debian's).",
        }),
        instanceTypes: {
            type: "group",
            names: { args: "InstanceTypesArgs", resolved: "ResolvedInstanceTypes" },
            doc: "Instance type per role.",
            fields: {
                lb: instanceType("t3.small", "The load balancer's instance type."),
                web: instanceType("t3.micro", "Each web server's instance type."),
            },
        },
        adminCidr: text({
            valid: (v) => (parseCidr(v)?.prefix ?? 0) >= MIN_ADMIN_PREFIX,
            fix: `must be the IPv4 range SSH may come from, a /${MIN_ADMIN_PREFIX} or narrower, like "203.0.113.7/32"; never 0.0.0.0/0 (use SSM Session Manager instead).`,
            defaultDoc: "no SSH (use SSM Session Manager)",
            doc: "The only range SSH is opened to: a /16 or narrower, never 0.0.0.0/0.",
        }),
        flowLogRetentionDays: {
            type: "integer",
            min: 1,
            max: 3653,
            default: 90,
            doc: "Days CloudWatch Logs keeps the VPC's flow logs: one of CloudWatch's retention periods (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653).",
        },
        alarmEmail: ALARM_EMAIL_SCHEMA,
        databaseVolumeGb: {
            type: "integer",
            min: 8,
            max: 16384,
            default: 20,
            doc: "Self-managed database only: the size of each database's data volume (encrypted gp3 EBS, kept when its instance goes), in GB (8–16384).",
        },
        snapshotRetentionDays: {
            type: "integer",
            min: 1,
            max: 365,
            default: 7,
            doc: "Self-managed database only: days the daily snapshots of the database volumes are kept (Data Lifecycle Manager; 1–365).",
        },
        restoreDatabaseVolumes: RESTORE_SCHEMA,
        rds: RDS_SCHEMA,
    },
};

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** Rules across `aws.*`: existing subnets must fit the VPC range the firewall and database users trust. */
export function checkAws(context: CheckContext): void {
    const { p, args, raw } = context;
    checkStorage(context);
    checkRds(context);
    const { existingVpc, privateSubnets, vpcCidr, flowLogRetentionDays } = args.aws;
    if (!p.has("aws.flowLogRetentionDays") && !LOG_RETENTION_DAYS.includes(flowLogRetentionDays)) {
        const below = [...LOG_RETENTION_DAYS].reverse().find((d) => d < flowLogRetentionDays);
        const above = LOG_RETENTION_DAYS.find((d) => d > flowLogRetentionDays);
        p.add(
            "aws.flowLogRetentionDays",
            flowLogRetentionDays,
            `must be a retention period CloudWatch Logs accepts, like ${below} or ${above}.`,
        );
    }
    checkWriteAddress(context);
    if (!existingVpc) return;
    // Web servers with aws.privateSubnets, and RDS always, go in private subnets.
    const needsPrivate = privateSubnets || args.database.mode === "managed";
    if (needsPrivate && existingVpc.privateSubnets.length < 2 && !p.has("aws.existingVpc.privateSubnets")) {
        p.add("aws.existingVpc.privateSubnets", raw("aws.existingVpc.privateSubnets"), SUBNETS_FIX(2));
    }
    const vpc = p.has("aws.vpcCidr") ? undefined : parseCidr(vpcCidr);
    // Instances take fixed addresses from .10 up (one per server): each subnet must be a /27 or larger.
    const fits = (s: ExistingSubnet) => {
        const cidr = parseCidr(s.cidr);
        return !vpc || !cidr || (within(cidr, vpc) && cidr.prefix <= 27);
    };
    const all = [...existingVpc.publicSubnets, ...existingVpc.privateSubnets].filter(fits);
    for (const key of ["publicSubnets", "privateSubnets"] as const) {
        const list = existingVpc[key];
        for (const s of list.filter((x) => !fits(x))) {
            p.add(
                `aws.existingVpc.${key}`,
                s.cidr,
                `each subnet must lie inside aws.vpcCidr (${vpcCidr}, set it to the VPC's range) and be a /27 or larger.`,
            );
        }
        // Each pair once: a subnet against those after it in the whole list.
        const offset = key === "publicSubnets" ? 0 : existingVpc.publicSubnets.filter(fits).length;
        list.filter(fits).forEach((s, i) => {
            const twin = all.slice(offset + i + 1).find((o) => o.id === s.id || overlap(o.cidr, s.cidr));
            if (twin)
                p.add(
                    `aws.existingVpc.${key}`,
                    [s.id, twin.id],
                    "lists one subnet twice, or two that overlap; each must be a different range.",
                );
        });
        // One availability zone is one failure away from losing every server there.
        const zones = new Set(list.map((s) => s.availabilityZone));
        if (list.length >= 2 && zones.size < 2) {
            p.add(
                `aws.existingVpc.${key}`,
                [...zones],
                "are all in one availability zone; give subnets in two, so that one zone's outage leaves servers in the other.",
            );
        } else if (
            key === "publicSubnets" &&
            args.lb.count === 2 &&
            list.length >= 2 &&
            list[0].availabilityZone === list[1].availabilityZone
        ) {
            // The first two are the NLB's subnet mappings (plan.ts), and AWS takes one subnet per zone.
            p.add(
                "aws.existingVpc.publicSubnets",
                [list[0].id, list[1].id],
                `are both in ${list[0].availabilityZone}; with lb.count 2 the first two public subnets hold the Network Load Balancer and the two load balancers, one in each of two availability zones: list a subnet of another zone second.`,
            );
        }
    }
}

/**
 * Automatic failover of our own databases: the write address is an overlay address routed by the
 * stack's route tables (writeAddress.ts), so the VPC must be the stack's own, and its range must
 * not hold that address.
 */
function checkWriteAddress({ p, args }: CheckContext): void {
    if (args.database.mode !== "self-managed" || args.database.failover !== "automatic") return;
    const { existingVpc, vpcCidr } = args.aws;
    if (existingVpc && !p.has("aws.existingVpc")) {
        p.add(
            "aws.existingVpc",
            existingVpc.vpcId,
            `cannot be used with database.failover automatic: the write address (${WRITE_OVERLAY_IP}) is routed by the route tables of the VPC the stack creates; remove aws.existingVpc, or set database.failover manual.`,
        );
    }
    const subnets = existingVpc ? [...existingVpc.publicSubnets, ...existingVpc.privateSubnets].map((s) => s.cidr) : [];
    const clash = p.has("aws.vpcCidr") ? undefined : overlayClashes(vpcCidr, subnets);
    if (clash) {
        p.add(
            "aws.vpcCidr",
            clash,
            `holds ${WRITE_OVERLAY_IP}, the database's write address with database.failover automatic: choose a range that does not (any RFC 1918 range).`,
        );
    }
}

function overlap(a: string, b: string): boolean {
    const [x, y] = [parseCidr(a), parseCidr(b)];
    return x !== undefined && y !== undefined && (within(x, y) || within(y, x));
}
