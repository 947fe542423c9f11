// A small reading of IAM policy documents: which SSM parameter reads and writes a statement allows, and on what.
// Conservative where IAM is subtle: a Deny or a Condition never narrows an Allow here.
import { list } from "./resources";

/** Every SSM API that hands out a parameter's value. */
export const PARAMETER_READS: readonly string[] = [
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "ssm:GetParameterHistory",
];

/** Every SSM API that changes a parameter's value or its versions. */
export const PARAMETER_WRITES: readonly string[] = [
    "ssm:PutParameter",
    "ssm:DeleteParameter",
    "ssm:DeleteParameters",
    "ssm:LabelParameterVersion",
    "ssm:UnlabelParameterVersion",
];

export interface Statement {
    readonly Effect?: unknown;
    readonly Action?: string | readonly string[];
    readonly NotAction?: string | readonly string[];
    readonly Resource?: string | readonly string[];
    readonly NotResource?: string | readonly string[];
    /** Trust policies only. */
    readonly Principal?: unknown;
}

/** The statements of a policy document given as JSON text or as an object. */
export function statementsOf(document: unknown): Statement[] {
    const doc = (typeof document === "string" ? JSON.parse(document) : document) as { Statement?: Statement | Statement[] } | undefined;
    return [...list(doc?.Statement)];
}

/** IAM's wildcards: `*` any run, `?` one character. */
function glob(pattern: string, flags: string): RegExp {
    const body = [...pattern].map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("");
    return new RegExp(`^${body}$`, flags);
}

/** IAM matches action names case-insensitively. */
const matchesAction = (patterns: string | readonly string[] | undefined, action: string): boolean =>
    list(patterns).some((p) => glob(p, "i").test(action));

/** The parameter reads a statement allows (an Allow with NotAction allows everything it does not name). */
export function readsAllowed(s: Statement): string[] {
    if (s.Effect !== "Allow") return [];
    if (s.NotAction !== undefined) return PARAMETER_READS.filter((a) => !matchesAction(s.NotAction, a));
    return PARAMETER_READS.filter((a) => matchesAction(s.Action, a));
}

/** The parameter writes a statement allows. */
export function writesAllowed(s: Statement): string[] {
    if (s.Effect !== "Allow") return [];
    if (s.NotAction !== undefined) return PARAMETER_WRITES.filter((a) => !matchesAction(s.NotAction, a));
    return PARAMETER_WRITES.filter((a) => matchesAction(s.Action, a));
}

/**
 * The resources of a statement beyond `own` (exact parameter ARNs): a wildcard is beyond them, since
 * it names parameters to come as well; NotResource is never scoped.
 */
export function beyond(s: Statement, own: ReadonlySet<string>): string[] {
    if (s.NotResource !== undefined) return [`NotResource ${JSON.stringify(s.NotResource)}`];
    return list(s.Resource).filter((r) => !own.has(r));
}

/**
 * AWS managed policies the stack cannot show the documents of, as AWS publishes them (the statements
 * that read parameters). Any other policy from outside the stack is an unknown: it fails, unless the
 * pack's config vouches for it.
 */
export const KNOWN_MANAGED_POLICIES: Readonly<Record<string, readonly Statement[]>> = {
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore": [
        { Effect: "Allow", Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: "*" },
    ],
};
