// Read-your-writes through the whole path (issue 9, target 3): the total a page shows includes the
// visit that page just recorded, whichever web server answered and whether the total came from
// its replica (after waiting for the visit's GTID) or from the primary (app/src/store.ts).
import { Site, getHttps } from "./probes";

export interface ReadYourWritesResult {
    readonly visits: number;
    /** Pages whose total the replica answered, having applied the page's own visit. */
    readonly fromReplica: number;
    readonly fromPrimary: number;
    readonly servedBy: ReadonlyMap<string, number>;
}

export interface ReadYourWritesOptions {
    /** @default 200 */
    readonly visits?: number;
    /**
     * Nothing else visits the site meanwhile: each total is then exactly the one before plus one.
     * Otherwise each total is at least that (other visits may add to it).
     * @default true
     */
    readonly alone?: boolean;
}

const TOTAL = /<p id="total">Total visits: (\d+) \(read from (replica|primary)\)<\/p>/;
const VISIT = /<p id="visit">You are visit #(\d+)<\/p>/;

/**
 * Visits the site `visits` times, one after another, on fresh connections (so HAProxy spreads them
 * over the web servers), and throws listing every page whose total misses its own visit. Resolves
 * with where the totals were read.
 */
export async function checkReadYourWrites(site: Site, options: ReadYourWritesOptions = {}): Promise<ReadYourWritesResult> {
    const count = options.visits ?? 200;
    const alone = options.alone ?? true;
    const problems: string[] = [];
    const servedBy = new Map<string, number>();
    let fromReplica = 0;
    let previous: { total: number; visitId: number } | undefined;
    for (let i = 1; i <= count; i++) {
        const r = await getHttps(site);
        const server = String(r.headers["x-served-by"]);
        const total = TOTAL.exec(r.body);
        const visit = VISIT.exec(r.body);
        const where = `page ${i} (${server})`;
        if (r.status !== 200 || !total || !visit) {
            problems.push(`${where}: status ${r.status}, no visit or total in the page`);
            continue;
        }
        const [visitId, shown, readFrom] = [Number(visit[1]), Number(total[1]), total[2]];
        servedBy.set(server, (servedBy.get(server) ?? 0) + 1);
        if (readFrom === "replica") fromReplica += 1;
        if (r.headers["x-visit-id"] !== String(visitId) || r.headers["x-read-from"] !== readFrom) {
            problems.push(
                `${where}: headers X-Visit-Id ${r.headers["x-visit-id"]}, X-Read-From ${r.headers["x-read-from"]} disagree with the page`,
            );
        }
        if (shown < 1) problems.push(`${where}: visit #${visitId} shows a total of ${shown} (read from ${readFrom})`);
        if (previous !== undefined) {
            const want = previous.total + 1;
            if (visitId <= previous.visitId)
                problems.push(`${where}: visit #${visitId} is not newer than the page before's #${previous.visitId}`);
            if (alone ? shown !== want : shown < want) {
                problems.push(
                    `${where}: visit #${visitId} shows a total of ${shown} (read from ${readFrom}), the page before showed ${previous.total}: ` +
                        `want ${alone ? "" : "at least "}${want}`,
                );
            }
        }
        previous = { total: shown, visitId };
    }
    if (problems.length > 0) {
        throw new Error(`read-your-writes broken on ${problems.length} of ${count} pages:\n  ${problems.slice(0, 20).join("\n  ")}`);
    }
    return { visits: count, fromReplica, fromPrimary: count - fromReplica, servedBy };
}
