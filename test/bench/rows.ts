// One row of docs/benchmarks.md per target of issue 9, and the small helpers the rows share.

export interface Row {
    /** The target's number in issue 9 ("1".."7", "7b" where a target has several parts). */
    readonly id: string;
    readonly what: string;
    readonly target: string;
    readonly measured: string;
    /** What the figure is compared with, measured in the same run (or a recorded constant, said so). */
    readonly reference: string;
    readonly ratio: string;
    /** undefined: not measured in this run, or nothing to meet. */
    readonly met: boolean | undefined;
    /** Lines under the table: the raw figures, and for a missed target what limits it. */
    readonly details: readonly string[];
}

/** A row whose measurement could not run; the bench goes on with the next one. */
export function notMeasured(id: string, what: string, target: string, err: unknown): Row {
    const reason = String(err instanceof Error ? err.message : err)
        .split("\n")[0]
        .slice(0, 200);
    return {
        id,
        what,
        target,
        measured: "not measured",
        reference: "-",
        ratio: "-",
        met: undefined,
        details: [`Not measured in this run: ${reason}`],
    };
}

export function ratio(measured: number, reference: number, digits = 2): string {
    if (!(reference > 0) || !Number.isFinite(measured)) return "-";
    return `${(measured / reference).toFixed(digits)}x`;
}

export function percentile(sorted: readonly number[], p: number): number {
    if (sorted.length === 0) return NaN;
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i];
}

export const median = (values: readonly number[]): number =>
    percentile(
        [...values].sort((a, b) => a - b),
        50,
    );

export const seconds = (ms: number, digits = 2): string => `${(ms / 1000).toFixed(digits)} s`;

/** `promise`, or a rejection naming `what` once `ms` have passed. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const STARTED = Date.now();

/** A progress line, with the seconds since the bench started. */
export const log = (line: string): void => console.log(`[bench +${((Date.now() - STARTED) / 1000).toFixed(0)}s] ${line}`);
