// Target 7: each stack file evaluated under the mocks, and the durations of `npm test` and of the
// whole CI run when .ci/run hands them over (FOOBAR_CI_TIMINGS: a file of "<step> <seconds>" lines).
import * as fs from "fs";
import * as path from "path";
import { defineStack } from "../../components/stack";
import { loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { Row, median, ratio, seconds } from "./rows";

const ROOT = path.join(__dirname, "..", "..");
const RUNS = 3;
const TARGET = { evaluationMs: 2000, npmTestS: 60, ciS: 15 * 60 };

/** Every Pulumi.<stack>.yaml of the project. */
export function stackFiles(): string[] {
    return fs
        .readdirSync(ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** Median milliseconds of RUNS evaluations of each stack file under the mocks; a stack that fails is reported, the others still run. */
export async function evaluationRow(): Promise<Row> {
    const medians: Array<[string, number, number[]]> = [];
    const failures: string[] = [];
    for (const stack of stackFiles()) {
        const times: number[] = [];
        try {
            for (let i = 0; i < RUNS; i++) {
                const started = process.hrtime.bigint();
                await runUnderMocks(loadStackConfig(stack), defineStack, { stack });
                times.push(Number(process.hrtime.bigint() - started) / 1e6);
            }
            medians.push([stack, median(times), times]);
        } catch (err) {
            failures.push(
                `${stack}: fails under the mocks: ${String(err instanceof Error ? err.message : err)
                    .split("\n")[0]
                    .slice(0, 200)}`,
            );
        }
    }
    if (medians.length === 0) throw new Error(failures.join("; "));
    const worst = Math.max(...medians.map(([, m]) => m));
    return {
        id: "7a",
        what: "Each stack file evaluated under the mocks (median of 3)",
        target: `<= ${seconds(TARGET.evaluationMs, 0)} per stack`,
        measured: [...medians.map(([s, m]) => `${s} ${seconds(m)}`), ...failures.map((f) => `${f.split(":")[0]}: failed`)].join(", "),
        reference: `the target, ${seconds(TARGET.evaluationMs, 0)}`,
        ratio: `slowest ${ratio(worst, TARGET.evaluationMs)} of the target`,
        met: worst <= TARGET.evaluationMs && failures.length === 0,
        details: [
            ...medians.map(([s, m, t]) => `${s}: median ${m.toFixed(0)} ms of ${t.map((x) => x.toFixed(0)).join(", ")} ms.`),
            "Each run: runUnderMocks(loadStackConfig(stack), defineStack) (test/helpers/pulumiMocks.ts), in the bench's process; " +
                "the very first run also loads the program's modules.",
            ...failures,
        ],
    };
}

/** The CI's step timings, when .ci/run exports FOOBAR_CI_TIMINGS (a file it appends "<step> <seconds>" to). */
export function ciTimings(): Map<string, number> | undefined {
    const file = process.env.FOOBAR_CI_TIMINGS;
    if (!file || !fs.existsSync(file)) return undefined;
    const steps = new Map<string, number>();
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        const m = /^(.*\S)\s+(\d+(?:\.\d+)?)s?\s*$/.exec(line.trim());
        if (m) steps.set(m[1], Number(m[2]));
    }
    return steps;
}

const NOT_MEASURED = "not measured in this run";

/** npm test and the whole .ci/run; `benchSeconds` is this bench's own duration (the CI's last step). */
export function ciRows(timings: Map<string, number> | undefined, benchSeconds: number): Row[] {
    const npmTest = timings?.get("npm test");
    const why = timings ? "FOOBAR_CI_TIMINGS has no such step" : "FOOBAR_CI_TIMINGS is not set: the bench was not run by .ci/run";
    // The CI's total once it is over, if the file has it; else every step before the bench plus the bench.
    const before = timings ? [...timings].filter(([step]) => step !== "total" && step !== "npm run bench") : [];
    const total = timings?.get("total") ?? (timings ? before.reduce((a, [, s]) => a + s, 0) + benchSeconds : undefined);
    return [
        {
            id: "7b",
            what: "`npm test` (typecheck, lint, unit tests)",
            target: `<= ${TARGET.npmTestS} s`,
            measured: npmTest === undefined ? NOT_MEASURED : `${npmTest} s`,
            reference: `the target, ${TARGET.npmTestS} s`,
            ratio: npmTest === undefined ? "-" : ratio(npmTest, TARGET.npmTestS),
            met: npmTest === undefined ? undefined : npmTest <= TARGET.npmTestS,
            details: npmTest === undefined ? [`npm test: ${NOT_MEASURED} (${why}).`] : [],
        },
        {
            id: "7c",
            what: "`.ci/run` on a fresh machine, every step",
            target: `<= ${TARGET.ciS / 60} min`,
            measured: total === undefined ? NOT_MEASURED : `${(total / 60).toFixed(1)} min`,
            reference: `the target, ${TARGET.ciS / 60} min`,
            ratio: total === undefined ? "-" : ratio(total, TARGET.ciS),
            met: total === undefined ? undefined : total <= TARGET.ciS,
            details:
                total === undefined
                    ? [`.ci/run: ${NOT_MEASURED} (${why}).`]
                    : [
                          `CI steps: ${[...(timings ?? [])].map(([s, t]) => `${s} ${t} s`).join(", ")}` +
                              (timings?.has("total") ? "." : `; plus this bench, ${benchSeconds.toFixed(0)} s.`),
                      ],
        },
    ];
}
