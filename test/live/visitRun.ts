// A fixed number of visits from a few concurrent clients, each request recorded with its times,
// so a test can line the acknowledged ones up against an event (a kill, a cut network).
import { Site, getHttps } from "./probes";

export interface Visit {
    readonly startedAt: number;
    readonly endedAt: number;
    /** The X-Visit-Id of a 200 (acknowledged) answer; undefined for anything else. */
    readonly visitId?: number;
    readonly outcome: string;
}

export interface VisitRun {
    /** Visits answered so far (acknowledged or not). */
    readonly done: () => number;
    readonly finished: Promise<Visit[]>;
}

/** `total` visits, `clients` at a time, each on a fresh connection, none given up before `timeoutMs`. */
export function runVisits(site: Site, total: number, clients: number, timeoutMs = 15_000): VisitRun {
    const visits: Visit[] = [];
    let next = 0;
    const client = async () => {
        while (next < total) {
            next++;
            const startedAt = Date.now();
            try {
                const r = await getHttps(site, "/", { timeoutMs });
                const id = Number(r.headers["x-visit-id"]);
                const acknowledged = r.status === 200 && Number.isSafeInteger(id) && id > 0;
                visits.push({ startedAt, endedAt: Date.now(), outcome: `status ${r.status}`, ...(acknowledged ? { visitId: id } : {}) });
            } catch (err) {
                visits.push({ startedAt, endedAt: Date.now(), outcome: String(err) });
            }
        }
    };
    const finished = Promise.all(Array.from({ length: clients }, client)).then(() => visits);
    return { done: () => visits.length, finished };
}

/** The acknowledged visit ids. */
export const acknowledged = (visits: readonly Visit[]): number[] => visits.flatMap((v) => (v.visitId === undefined ? [] : [v.visitId]));

/** Milliseconds from `at` until the first visit that started after it was acknowledged; undefined if none was. */
export function resumedAfter(visits: readonly Visit[], at: number): number | undefined {
    const after = visits.filter((v) => v.startedAt >= at && v.visitId !== undefined).map((v) => v.endedAt);
    return after.length === 0 ? undefined : Math.min(...after) - at;
}

/** How the visits that were not acknowledged ended, counted by outcome. */
export function failuresOf(visits: readonly Visit[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const v of visits) if (v.visitId === undefined) counts[v.outcome] = (counts[v.outcome] ?? 0) + 1;
    return counts;
}
