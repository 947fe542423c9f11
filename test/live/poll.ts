// Polling with a deadline, shared by every live probe that waits for a state.
import { sleep } from "./docker";

/** Polls `probe` until it returns something other than undefined; throws with the last reason on timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, intervalMs = 500): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        try {
            const found = await probe();
            if (found !== undefined) return found;
        } catch (err) {
            last = String(err);
        }
        await sleep(intervalMs);
    }
    throw new Error(`${what}: not within ${timeoutMs} ms ${last}`);
}
