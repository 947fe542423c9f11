// The aws platform's arguments, defaults and validation. Pure.
import { Problems } from "./problems";
import { Cidr, isPrivateIpv4Cidr, parseCidr } from "./net";

export const DEBIAN_AMI_OWNER = "136693071363";
export const DEFAULT_AWS = {
    vpcCidr: "10.0.0.0/16",
    privateSubnets: false,
    amiOwner: DEBIAN_AMI_OWNER,
    amiNamePattern: "debian-12-amd64-*",
    instanceTypes: { lb: "t3.small", web: "t3.micro" },
    rds: {
        engineVersion: "8.4",
        instanceClass: "db.t4g.micro",
        allocatedStorageGb: 20,
        multiAz: false,
        backupRetentionDays: 7,
        deletionProtection: false,
        finalSnapshot: false,
    },
} as const;

export interface ExistingSubnet {
    /** Subnet id, e.g. "subnet-0abc...". */
    readonly id: string;
    /** Its IPv4 CIDR: instance addresses are planned inside it. */
    readonly cidr: string;
}

export interface AwsArgs {
    /** CIDR of the dedicated VPC (/16 to /20), cut into /24 subnets. @default "10.0.0.0/16" */
    readonly vpcCidr?: string;
    /** Use an existing VPC and its subnets instead of creating one (at least two public subnets). */
    readonly existingVpc?: {
        readonly vpcId: string;
        readonly publicSubnets: readonly ExistingSubnet[];
        readonly privateSubnets?: readonly ExistingSubnet[];
    };
    /** Web servers in private subnets behind a NAT gateway, else in public ones locked by security groups. @default false */
    readonly privateSubnets?: boolean;
    /** An AMI id instead of the newest Debian 12 image. @default the newest "debian-12-amd64-*" of amiOwner */
    readonly amiId?: string;
    /** Owner of the Debian images. @default "136693071363" (Debian) */
    readonly amiOwner?: string;
    /** Instance type per role. @default { lb: "t3.small", web: "t3.micro" } */
    readonly instanceTypes?: { readonly lb?: string; readonly web?: string };
    /** The only range SSH is opened to; never 0.0.0.0/0. @default no SSH (use SSM Session Manager) */
    readonly adminCidr?: string;
    /** The managed database (database.mode "managed"). @default DEFAULT_AWS.rds */
    readonly rds?: {
        readonly instanceClass?: string;
        readonly allocatedStorageGb?: number;
        readonly multiAz?: boolean;
        readonly backupRetentionDays?: number;
        readonly deletionProtection?: boolean;
        readonly finalSnapshot?: boolean;
    };
}

export interface ResolvedAws {
    readonly vpcCidr: string;
    readonly existingVpc?: {
        readonly vpcId: string;
        readonly publicSubnets: readonly ExistingSubnet[];
        readonly privateSubnets: readonly ExistingSubnet[];
    };
    readonly privateSubnets: boolean;
    readonly amiId?: string;
    readonly amiOwner: string;
    readonly instanceTypes: { readonly lb: string; readonly web: string };
    readonly adminCidr?: string;
    readonly rds: {
        readonly engineVersion: string;
        readonly instanceClass: string;
        readonly allocatedStorageGb: number;
        readonly multiAz: boolean;
        readonly backupRetentionDays: number;
        readonly deletionProtection: boolean;
        readonly finalSnapshot: boolean;
    };
}

const AWS_KEYS = ["vpcCidr", "existingVpc", "privateSubnets", "amiId", "amiOwner", "instanceTypes", "adminCidr", "rds"];
const RDS_KEYS = ["instanceClass", "allocatedStorageGb", "multiAz", "backupRetentionDays", "deletionProtection", "finalSnapshot"];

export function validateAws(p: Problems, value: unknown): ResolvedAws {
    const a = p.object("aws", value, AWS_KEYS) ?? {};
    const vpcCidr = (a.vpcCidr ?? DEFAULT_AWS.vpcCidr) as string;
    if (typeof vpcCidr !== "string" || !isPrivateIpv4Cidr(vpcCidr, 16, 20)) {
        p.add("aws.vpcCidr", vpcCidr, `must be a private IPv4 CIDR with a prefix from /16 to /20, like "10.0.0.0/16".`);
    }
    const privateSubnets = p.boolean("aws.privateSubnets", a.privateSubnets, DEFAULT_AWS.privateSubnets);
    const existingVpc = validateExistingVpc(p, a.existingVpc, privateSubnets, vpcCidr);
    const types = p.object("aws.instanceTypes", a.instanceTypes, ["lb", "web"]) ?? {};
    const instanceTypes = {
        lb: instanceType(p, "aws.instanceTypes.lb", types.lb ?? DEFAULT_AWS.instanceTypes.lb),
        web: instanceType(p, "aws.instanceTypes.web", types.web ?? DEFAULT_AWS.instanceTypes.web),
    };
    if (a.amiId !== undefined && (typeof a.amiId !== "string" || !/^ami-[0-9a-f]{8,17}$/.test(a.amiId))) {
        p.add("aws.amiId", a.amiId, `must be an AMI id like "ami-0123456789abcdef0", or left unset for the newest Debian 12.`);
    }
    const amiOwner = (a.amiOwner ?? DEFAULT_AWS.amiOwner) as string;
    if (typeof amiOwner !== "string" || !/^\d{12}$/.test(amiOwner)) {
        p.add("aws.amiOwner", amiOwner, `must be a 12-digit AWS account id; Debian's is "${DEBIAN_AMI_OWNER}".`);
    }
    const adminCidr = a.adminCidr as string | undefined;
    if (adminCidr !== undefined) {
        const cidr = typeof adminCidr === "string" ? parseCidr(adminCidr) : undefined;
        if (!cidr || cidr.prefix === 0) {
            p.add(
                "aws.adminCidr",
                adminCidr,
                `must be the IPv4 range SSH may come from, like "203.0.113.7/32"; never 0.0.0.0/0 (use SSM Session Manager instead).`,
            );
        }
    }
    const r = p.object("aws.rds", a.rds, RDS_KEYS) ?? {};
    const d = DEFAULT_AWS.rds;
    const rds = {
        engineVersion: d.engineVersion,
        instanceClass:
            typeof r.instanceClass === "string" && /^db\.[a-z0-9]+\.[a-z0-9]+$/.test(r.instanceClass) ? r.instanceClass : d.instanceClass,
        allocatedStorageGb: p.integer("aws.rds.allocatedStorageGb", r.allocatedStorageGb, 20, 65536, d.allocatedStorageGb),
        multiAz: p.boolean("aws.rds.multiAz", r.multiAz, d.multiAz),
        backupRetentionDays: p.integer("aws.rds.backupRetentionDays", r.backupRetentionDays, 7, 35, d.backupRetentionDays),
        deletionProtection: p.boolean("aws.rds.deletionProtection", r.deletionProtection, d.deletionProtection),
        finalSnapshot: p.boolean("aws.rds.finalSnapshot", r.finalSnapshot, d.finalSnapshot),
    };
    if (r.instanceClass !== undefined && rds.instanceClass !== r.instanceClass) {
        p.add("aws.rds.instanceClass", r.instanceClass, `must be an RDS instance class like "db.t4g.micro".`);
    }
    return {
        vpcCidr,
        existingVpc,
        privateSubnets,
        amiId: a.amiId as string | undefined,
        amiOwner,
        instanceTypes,
        adminCidr,
        rds,
    };
}

function instanceType(p: Problems, key: string, value: unknown): string {
    if (typeof value === "string" && /^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(value)) return value;
    p.add(key, value, `must be an EC2 instance type like "t3.micro".`);
    return "t3.micro";
}

function validateExistingVpc(p: Problems, value: unknown, privateSubnets: boolean, vpcCidr: string): ResolvedAws["existingVpc"] {
    if (value === undefined) return undefined;
    const v = p.object("aws.existingVpc", value, ["vpcId", "publicSubnets", "privateSubnets"]);
    if (!v) return undefined;
    if (typeof v.vpcId !== "string" || !/^vpc-[0-9a-f]{8,17}$/.test(v.vpcId)) {
        p.add("aws.existingVpc.vpcId", v.vpcId, `must be a VPC id like "vpc-0123456789abcdef0".`);
    }
    const subnets = (key: "publicSubnets" | "privateSubnets", min: number): ExistingSubnet[] => {
        const list = v[key] ?? [];
        const ok =
            Array.isArray(list) &&
            list.length >= min &&
            list.every(
                (s) =>
                    typeof s?.id === "string" &&
                    /^subnet-[0-9a-f]{8,17}$/.test(s.id) &&
                    typeof s?.cidr === "string" &&
                    parseCidr(s.cidr) !== undefined,
            );
        if (!ok) {
            p.add(
                `aws.existingVpc.${key}`,
                v[key],
                `must list at least ${min} subnets as { id: "subnet-...", cidr: "10.0.1.0/24" }, in two availability zones.`,
            );
            return [];
        }
        // Instances take fixed addresses from .10 up (one per server), and the VPC range is what
        // the security groups and database users trust: each subnet must fit both.
        const vpc = parseCidr(vpcCidr);
        for (const s of list as ExistingSubnet[]) {
            const c = parseCidr(s.cidr) as Cidr;
            const inside = vpc !== undefined && c.prefix >= vpc.prefix && c.base >= vpc.base && c.base < vpc.base + 2 ** (32 - vpc.prefix);
            if (!inside || c.prefix > 27) {
                p.add(
                    `aws.existingVpc.${key}`,
                    s.cidr,
                    `each subnet must lie inside aws.vpcCidr (${vpcCidr}, set it to the VPC's range) and be a /27 or larger.`,
                );
            }
        }
        return list as ExistingSubnet[];
    };
    return {
        vpcId: v.vpcId as string,
        publicSubnets: subnets("publicSubnets", 2),
        privateSubnets: subnets("privateSubnets", privateSubnets ? 2 : 0),
    };
}
