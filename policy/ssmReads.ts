// SSM reads scoped to the instance's own parameters. An instance role (one in an instance profile, or
// one EC2 may assume) may read, through ssm:GetParameter and the other value-returning APIs, exactly
// the parameters that the user data of the instances using it lists in its secrets manifest; an
// instance role no instance of the stack uses, none. Every policy of the role counts: RolePolicy,
// inline policies, attached policies (their documents when the stack defines them, AWS's published
// ones for the few known; any other fails unless the pack's config vouches for it). Roles of AWS
// services (RDS monitoring, flow logs) are not instance roles and are not checked.
// Writes: an instance role may write no parameter any instance reads (it could hand another
// instance a password or key of its choosing), and others by exact ARN only: a web server's readiness
// parameter (components/platforms/aws/readiness.ts) is the one the program lets it write.
import { KNOWN_MANAGED_POLICIES, Statement, beyond, readsAllowed, statementsOf, writesAllowed } from "./iam";
import { Props, StackResource, TYPES, Violation, list, ofType, referenced, refersTo } from "./resources";
import { manifestParameters, userDataText } from "./userData";

export interface SsmConfig {
    /** ARNs of policies from outside the stack that allow no parameter read (say, a CloudWatch agent's). */
    readonly trustedManagedPolicies?: readonly string[];
}

export const SSM_CONFIG_SCHEMA = {
    properties: {
        trustedManagedPolicies: {
            type: "array" as const,
            items: { type: "string" as const },
            default: [] as string[],
            description: "ARNs of managed policies from outside the stack that you know allow no SSM parameter read.",
        },
    },
};

interface Document {
    readonly label: string;
    readonly urn: string;
    readonly statements: readonly Statement[];
}

/** Whether EC2 may assume the role: its trust policy allows the ec2.amazonaws.com service, or anyone. */
function ec2MayAssume(role: StackResource): boolean {
    return statementsOf(role.props.assumeRolePolicy ?? "{}").some(
        (s) =>
            s.Effect === "Allow" &&
            (s.Principal === "*" ||
                list((s.Principal as { Service?: string | string[] } | undefined)?.Service).includes("ec2.amazonaws.com")),
    );
}

/** The instances whose profile carries `role`. */
function instancesOf(role: StackResource, resources: readonly StackResource[]): StackResource[] {
    const profiles = ofType(resources, TYPES.instanceProfile).filter((p) => refersTo(p, "role", role));
    return ofType(resources, TYPES.instance).filter((i) => referenced(i, "iamInstanceProfile", profiles).length > 0);
}

/** The ARNs of the parameters the user data of `users` lists. */
function ownParameters(users: readonly StackResource[], resources: readonly StackResource[]): Set<string> {
    const names = new Set(users.flatMap((i) => manifestParameters(userDataText(i.props))));
    return new Set(
        ofType(resources, TYPES.parameter)
            .filter((p) => names.has(p.props.name))
            .map((p) => p.props.arn as string),
    );
}

/** Violations of the whole stack. */
export function checkSsmReads(resources: readonly StackResource[], config: SsmConfig): Violation[] {
    const trusted = new Set(config.trustedManagedPolicies ?? []);
    const policies = ofType(resources, TYPES.iamPolicy);
    const violations: Violation[] = [];
    const profiles = ofType(resources, TYPES.instanceProfile);
    // Every parameter some instance of the stack reads: no instance may write one.
    const secrets = ownParameters(ofType(resources, TYPES.instance), resources);
    for (const role of ofType(resources, TYPES.role)) {
        if (!profiles.some((p) => refersTo(p, "role", role)) && !ec2MayAssume(role)) continue;
        const users = instancesOf(role, resources);
        const who = `role ${role.name} (${users.length > 0 ? `of ${users.map((u) => u.name).join(", ")}` : "of no instance"})`;
        const documents: Document[] = [
            ...ofType(resources, TYPES.rolePolicy)
                .filter((p) => refersTo(p, "role", role))
                .map((p) => ({ label: `inline policy ${p.name}`, urn: p.urn, statements: statementsOf(p.props.policy) })),
            ...list<Props>(role.props.inlinePolicies).map((p) => ({
                label: `inline policy ${String(p.name)}`,
                urn: role.urn,
                statements: statementsOf(p.policy),
            })),
        ];
        // Attached policies: each attachment's, and the role's own managedPolicyArns.
        const attached: Array<{ arn: string; urn: string; defined: StackResource[] }> = [
            ...ofType(resources, TYPES.rolePolicyAttachment)
                .filter((a) => refersTo(a, "role", role))
                .map((a) => ({ arn: String(a.props.policyArn), urn: a.urn, defined: referenced(a, "policyArn", policies) })),
            ...list<string>(role.props.managedPolicyArns).map((arn) => ({
                arn,
                urn: role.urn,
                defined: policies.filter((p) => p.props.arn === arn),
            })),
        ];
        for (const { arn, urn, defined } of attached) {
            if (defined.length > 0) {
                for (const p of defined) documents.push({ label: `policy ${p.name}`, urn, statements: statementsOf(p.props.policy) });
            } else if (arn in KNOWN_MANAGED_POLICIES) {
                documents.push({ label: `managed policy ${arn}`, urn, statements: KNOWN_MANAGED_POLICIES[arn] });
            } else if (!trusted.has(arn)) {
                violations.push({
                    urn,
                    message: `${who}: managed policy ${arn} is attached and its document is not in the stack, so what it reads cannot be checked: use an inline policy, or list it in trustedManagedPolicies`,
                });
            }
        }
        const own = documents.length > 0 ? ownParameters(users, resources) : new Set<string>();
        for (const doc of documents)
            for (const statement of doc.statements) {
                const reads = readsAllowed(statement);
                const outside = reads.length > 0 ? beyond(statement, own) : [];
                if (outside.length > 0)
                    violations.push({
                        urn: doc.urn,
                        message: `${who}: ${doc.label} allows ${reads.join(", ")} on ${outside.join(", ")}: only the parameters its instances' user data lists may be read`,
                    });
                const writes = writesAllowed(statement);
                const forbidden =
                    writes.length > 0
                        ? [...beyond(statement, new Set()).filter((r) => /[*?]/.test(r) || r.startsWith("NotResource") || secrets.has(r))]
                        : [];
                if (forbidden.length > 0)
                    violations.push({
                        urn: doc.urn,
                        message: `${who}: ${doc.label} allows ${writes.join(", ")} on ${forbidden.join(", ")}: an instance may write no parameter an instance reads, and others only by their exact ARN`,
                    });
            }
    }
    return violations;
}
