// Every instance role, with all its policies together: Session Manager, reads of exactly the
// SSM parameters its own files hold (the boot helper's manifest), the read of its bundle's object
// (web servers the app bundle's, the load balancers, which run Prometheus, the monitoring bundle's
// alert rules), and (web servers, a pair of load balancers behind the NLB and a Galera cluster's
// bootstrap node) the write of its own readiness parameter; nothing more.
import assert from "node:assert/strict";
import { StackRun, byType, findResource } from "../helpers/pulumiMocks";
import { AWS_TYPES, instances, manifestOf, runStack, singleLb, userData } from "./awsHelpers";
import { MANAGED_POLICIES, allows, readableParameters, s3Access, statementsOf, writableParameters } from "./iamEvaluator";
import { Outputs } from "./stackHelpers";

const CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";

for (const stack of ["staging", "prod"] as const) {
    describe(`instance roles: ${stack}`, () => {
        let run: StackRun<Outputs>;
        let parameters: Map<string, string>;
        before(async () => {
            run = await runStack(stack);
            parameters = new Map(byType(run.resources, AWS_TYPES.parameter).map((p) => [p.inputs.name as string, p.state.arn as string]));
        });

        it("lets each instance read exactly the parameters its own files hold, through every policy it has", () => {
            for (const i of instances(run)) {
                const own = Object.values(manifestOf(userData(i).config).parameters).map((name) => parameters.get(name) ?? name);
                const role = (i.inputs.iamInstanceProfile as string).replace(/-id$/, "");
                const readable = readableParameters(statementsOf(run.resources, role), [...parameters.values()]);
                assert.deepEqual(readable, [...own].sort(), i.name);
            }
        });

        it("lets each instance (web servers and, behind the NLB, both load balancers) write its own readiness parameter and nothing else; a single load balancer's, none unless it is a Galera cluster's bootstrap node (staging)", async () => {
            const single = await runStack(stack, singleLb(stack));
            // Staging's database is a Galera cluster: its bootstrap node, the load balancer server-3, has a gate too.
            const bootstrap = stack === "staging" ? "server-3" : undefined;
            for (const [r, gated] of [
                [run, () => true],
                [single, (role: string, server: string) => role === "web" || server === bootstrap],
            ] as const) {
                const all = new Map(byType(r.resources, AWS_TYPES.parameter).map((p) => [p.inputs.name as string, p.state.arn as string]));
                for (const i of instances(r)) {
                    const server = i.inputs.tags["foobar:server"] as string;
                    const role = (i.inputs.iamInstanceProfile as string).replace(/-id$/, "");
                    const writable = writableParameters(statementsOf(r.resources, role), [...all.values()]);
                    const own = gated(i.inputs.tags["foobar:role"], server) ? [all.get(`/foobar/${stack}/ready/${server}`)] : [];
                    assert.deepEqual(writable, own, i.name);
                    // ...and reads it not: a readiness parameter is no instance's secret.
                    const readable = readableParameters(statementsOf(r.resources, role), [...all.values()]);
                    assert.ok(!readable.some((arn) => arn.includes("/ready/")), i.name);
                }
            }
        });

        it("lets each web server's instance read the app bundle's object and nothing else of S3; each load balancer's (Prometheus), the monitoring bundle's only", () => {
            const bucket = findResource(run.resources, AWS_TYPES.bucket, `foobar-${stack}-artifacts`).state.arn as string;
            const keyOf = (bundle: string) =>
                findResource(run.resources, AWS_TYPES.bucketObject, `foobar-${stack}-${bundle}-bundle`).inputs.key as string;
            const object = `${bucket}/${keyOf("app")}`;
            const rules = `${bucket}/${keyOf("monitoring")}`;
            // The objects, other versions' keys in the same bucket, the bucket itself, any bucket, another bucket's object.
            const candidates = [
                object,
                rules,
                `${bucket}/app/${"0".repeat(64)}.json`,
                `${bucket}/monitoring/${"0".repeat(64)}.json`,
                bucket,
                "*",
                "arn:aws:s3:::someone-elses-bucket/app/x.json",
            ];
            for (const i of instances(run)) {
                const role = (i.inputs.iamInstanceProfile as string).replace(/-id$/, "");
                const web = i.inputs.tags["foobar:role"] === "web";
                assert.deepEqual(s3Access(statementsOf(run.resources, role), candidates), [`s3:GetObject ${web ? object : rules}`], i.name);
            }
            // The evaluator sees a grant on the bucket's every object, or on any bucket, for what it is.
            const wide = s3Access([{ Effect: "Allow", Action: "s3:Get*", Resource: `${bucket}/*` }], candidates);
            assert.ok(wide.includes(`s3:GetObject ${bucket}/app/${"0".repeat(64)}.json`) && wide.includes("s3:GetObjectVersion " + object));
            assert.equal(s3Access(MANAGED_POLICIES[CORE], candidates).length, 0);
        });

        it("attaches no managed policy to an instance role, and lets each use Session Manager", () => {
            const profiles = byType(run.resources, AWS_TYPES.instanceProfile).map((p) => p.inputs.role as string);
            assert.equal(profiles.length, instances(run).length);
            for (const role of profiles) {
                assert.deepEqual(
                    byType(run.resources, AWS_TYPES.rolePolicyAttachment).filter((a) => a.inputs.role === role),
                    [],
                    role,
                );
                const statements = statementsOf(run.resources, role);
                for (const action of ["ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel", "ec2messages:GetMessages"]) {
                    assert.ok(
                        statements.some((s) => allows(s, action, "*")),
                        `${role} lacks ${action}`,
                    );
                }
            }
        });

        it("would see every parameter readable through AmazonSSMManagedInstanceCore (the evaluator catches the old roles)", () => {
            assert.equal(readableParameters(MANAGED_POLICIES[CORE], [...parameters.values()]).length, parameters.size);
        });
    });
}
