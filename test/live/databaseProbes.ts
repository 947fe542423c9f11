// What the live suite asks the running databases: visits by id, TLS on every connection.
import { CapturedStack } from "./capture";
import { dockerRun } from "./docker";
import { execIn } from "./probes";

/** Runs SQL as root on a database container (over its socket); returns the rows as tab-separated text. */
export const sql = (container: string, query: string): Promise<string> => execIn(container, ["mariadb", "-N", "-B", "-e", query]);

/** The highest visit id so far on the primary. */
export async function maxVisitId(primary: string): Promise<number> {
    return Number(await sql(primary, "SELECT COALESCE(MAX(id), 0) FROM foobar.visits"));
}

/** The visit ids recorded after `afterId`, ascending. */
export async function visitIdsAfter(primary: string, afterId: number): Promise<number[]> {
    const text = await sql(primary, `SELECT id FROM foobar.visits WHERE id > ${Number(afterId)} ORDER BY id`);
    return text === "" ? [] : text.split("\n").map(Number);
}

/** A generated password of the stack, as the mocks made it for the live run. */
export function passwordOf(captured: CapturedStack, name: string): string {
    const found = captured.resources.find((r) => r.name === `${captured.name}-${name}`);
    if (!found) throw new Error(`no password ${name}`);
    return String(found.state.result);
}

/** Logs in with the mariadb client from `container` to `host`; returns its exit status and output. */
export async function login(container: string, host: string, user: string, password: string, tlsOptions: readonly string[]) {
    const r = await dockerRun([
        "exec",
        container,
        "mariadb",
        "-h",
        host,
        "-u",
        user,
        `-p${password}`,
        ...tlsOptions,
        "-N",
        "-B",
        "-e",
        "SHOW SESSION STATUS LIKE 'Ssl_version'",
    ]);
    return { code: r.code, output: `${r.stdout}${r.stderr}`.trim() };
}
