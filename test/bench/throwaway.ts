// Reference containers the bench starts next to the stack: one of the stack's own images with a
// file or two uploaded, on one of the stack's networks at a free address, removed afterwards.
// They carry the stack's label, so an interrupted run's leftovers go with the stack's.
import * as net from "net";
import { dockerApi, dockerRun, sleep, tarEntries } from "../live/docker";
import { BenchStack } from "./stack";

export interface Throwaway {
    readonly name: string;
    readonly address: string;
    remove(): Promise<void>;
}

/** An address on `network`'s /24 that no service of the stack has (the top of the range). */
export function freeAddress(stack: BenchStack, network: string, offset: number): string {
    const used = stack.captured.outputs.servers.flatMap((s) => s.services.map((x) => x.addresses[network])).filter(Boolean);
    if (used.length === 0) throw new Error(`no service of the stack is on ${network}`);
    const prefix = used[0].split(".").slice(0, 3).join(".");
    const address = `${prefix}.${250 - offset}`;
    if (used.includes(address)) throw new Error(`${address} is taken on ${network}`);
    return address;
}

/** Waits until something accepts TCP connections on address:port. */
export async function waitListening(address: string, port: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, address);
            s.setTimeout(1000, () => s.destroy());
            s.on("connect", () => {
                s.destroy();
                resolve(true);
            });
            s.on("error", () => resolve(false));
            s.on("close", () => resolve(false));
        });
        if (ok) return;
        await sleep(200);
    }
    throw new Error(`nothing listens on ${address}:${port} after ${timeoutMs} ms`);
}

/** Starts `image` with `files` uploaded, on `network` at `address`; waits until `port` accepts connections. */
export async function startThrowaway(
    stack: BenchStack,
    o: { role: string; image: string; network: string; address: string; port: number; files: Record<string, string> },
): Promise<Throwaway> {
    const name = `${stack.name}-bench-${o.role}`;
    await dockerRun(["rm", "-f", name]);
    await dockerApi("POST", `/containers/create?name=${encodeURIComponent(name)}`, {
        Image: o.image,
        Labels: { "foobar.stack": stack.name, "foobar.bench": o.role },
        HostConfig: { NetworkMode: o.network },
        NetworkingConfig: { EndpointsConfig: { [o.network]: { IPAMConfig: { IPv4Address: o.address } } } },
    });
    const remove = async () => void (await dockerRun(["rm", "-f", "-v", name]));
    try {
        const entries = Object.entries(o.files).map(([file, content]) => ({ path: file, content, mode: 0o644 }));
        await dockerApi("PUT", `/containers/${name}/archive?path=/`, await tarEntries(entries), "application/x-tar");
        await dockerApi("POST", `/containers/${name}/start`);
        await waitListening(o.address, o.port);
    } catch (err) {
        const logs = await dockerRun(["logs", "--tail", "20", name]);
        await remove();
        throw new Error(`${name}: ${String(err)}\n${logs.stdout}${logs.stderr}`, { cause: err });
    }
    return { name, address: o.address, remove };
}
