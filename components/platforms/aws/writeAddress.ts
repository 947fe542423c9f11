// The Galera cluster's write address on EC2 (database.failover automatic): an overlay address,
// outside the VPC, routed by the stack's route tables to the node keepalived elected. keepalived
// adds it on that node and its notify hook runs resource-agents' aws-vpc-move-ip, which points the
// routes at the node's network interface (ReplaceRoute); the other nodes drop it locally. A VPC
// cannot route a secondary private address between subnets of two zones: a route can.
import { parseCidr, within } from "../../config/net";
import { lines } from "../../render/text";
import { BootSteps } from "../../vm/boot";
import { BootFile, withoutComments } from "../../vm/cloudInit";
import { packagePath } from "../../packageRoot";
import { shippedFile } from "../../vm/shippedFile";
import { GALERA_ROLE_HOOK_DIR } from "../../vm/galera";

/**
 * The overlay address: fixed, the last usable one of 100.64.0.0/10 (RFC 6598, shared address
 * space), which aws.vpcCidr never overlaps (it must be RFC 1918: config/net.ts) and which no
 * instance of the VPC uses, so its /32 route is more specific than nothing else in the tables.
 * One address per VPC is enough: each stack has its own VPC (aws.existingVpc is refused with
 * automatic failover, args.ts).
 */
export const WRITE_OVERLAY_IP = "100.127.255.254";
export const WRITE_OVERLAY_CIDR = `${WRITE_OVERLAY_IP}/32`;
/** VRRP's IP protocol number: keepalived's adverts between the database nodes. */
export const VRRP_PROTOCOL = "112";

export const WRITE_ROUTE_HOOK_PATH = `${GALERA_ROLE_HOOK_DIR}/50-aws-write-route`;
export const WRITE_ROUTE_ENV_PATH = "/etc/foobar/aws-write-route.env";
/** The aws CLI as the agent runs it: /usr/bin/aws, or its stand-in's endpoint (the boot rehearsal seam). */
export const AWS_CLI_WRAPPER_PATH = "/usr/local/sbin/foobar-aws";
/** What the agent needs beyond a Galera node's packages: itself, the aws CLI, and curl (IMDSv2). */
export const WRITE_ROUTE_PACKAGES: readonly string[] = ["resource-agents", "awscli", "curl"];

/** Whether the overlay address clashes with the VPC's range or a subnet of it (never, for a valid config). */
export function overlayClashes(vpcCidr: string, subnetCidrs: readonly string[]): string | undefined {
    const overlay = parseCidr(WRITE_OVERLAY_CIDR);
    if (!overlay) throw new Error(`${WRITE_OVERLAY_CIDR} does not parse`);
    return [vpcCidr, ...subnetCidrs].find((c) => {
        const range = parseCidr(c);
        return range !== undefined && within(overlay, range);
    });
}

/** A script of files/ as the node carries it: without its comments (user data is limited to 16 KiB). */
const file = (name: string): string => withoutComments(shippedFile(packagePath(`components/platforms/aws/files/${name}`)));

/** Route table ids (and, under mocks, resource names) and regions reach a shell: plain characters only. */
const PLAIN = /^[A-Za-z0-9_-]+$/;
export const WRITE_ROUTE_CONFIG_PATH = "/etc/foobar/aws-write-route.cfg";

/**
 * The node's role hook (files/foobar-aws-write-route.sh), its settings, the aws CLI's profile (the
 * agent names one) and the aws CLI wrapper. `routeTables`: every table the overlay route is in.
 */
export function writeRouteFiles(
    region: string,
    routeTables: readonly string[],
    ownAddress: string,
): { readonly hooks: BootFile[]; readonly steps: BootSteps } {
    for (const v of [region, ...routeTables]) if (!PLAIN.test(v)) throw new Error(`${JSON.stringify(v)} is not a plain AWS id`);
    if (routeTables.length === 0) throw new Error("the write address needs at least one route table");
    const env = lines(
        "# Rendered by foobar-infra (components/platforms/aws/writeAddress.ts).",
        `FOOBAR_WRITE_IP="${WRITE_OVERLAY_IP}"`,
        `FOOBAR_ROUTE_TABLES="${routeTables.join(",")}"`,
        `FOOBAR_REGION="${region}"`,
        `FOOBAR_OWN_ADDRESS="${ownAddress}"`,
    );
    const files = [
        { path: WRITE_ROUTE_ENV_PATH, content: env },
        { path: WRITE_ROUTE_CONFIG_PATH, content: lines("[default]", `region = ${region}`) },
        { path: AWS_CLI_WRAPPER_PATH, content: file("foobar-aws.sh"), permissions: "0755" },
    ];
    return {
        hooks: [{ path: WRITE_ROUTE_HOOK_PATH, content: file("foobar-aws-write-route.sh") }],
        steps: { packages: WRITE_ROUTE_PACKAGES, files, before: [], commands: [] },
    };
}

/**
 * The IAM statements a database node's role gets for the agent: it reads route tables (describe
 * calls take no resource) and replaces routes in the stack's own tables only.
 */
export function writeRouteStatements(region: string, routeTableIds: readonly string[]): object[] {
    return [
        { Effect: "Allow", Action: ["ec2:DescribeRouteTables"], Resource: "*" },
        {
            Effect: "Allow",
            Action: ["ec2:ReplaceRoute"],
            Resource: routeTableIds.map((id) => `arn:aws:ec2:${region}:*:route-table/${id}`),
        },
    ];
}
