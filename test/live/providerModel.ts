// How the docker provider turns a Container's inputs into the Engine API's create body, and which
// inputs this deployer maps at all: anything else is an error, never silently dropped.
import { Props as Inputs, TYPES } from "../helpers/pulumiMocks";

/** Every input key this deployer maps, per resource type (and per nested block). */
export const KNOWN: Record<string, readonly string[]> = {
    // buildOnPreview only decides whether `pulumi preview` builds too; a deployment always builds.
    [TYPES.image]: ["imageName", "build", "skipPush", "buildOnPreview"],
    "image.build": ["context", "dockerfile", "builderVersion"],
    [TYPES.network]: ["name", "driver", "internal", "ipamConfigs", "labels"],
    "network.ipamConfigs": ["subnet", "gateway", "ipRange"],
    [TYPES.volume]: ["name", "labels"],
    [TYPES.container]: [
        "name",
        "image",
        "hostname",
        "labels",
        "networksAdvanced",
        "ports",
        "uploads",
        "envs",
        "healthcheck",
        "restart",
        "stopSignal",
        "stopTimeout",
        "volumes",
        "logDriver",
        "logOpts",
        "wait",
        "waitTimeout",
        "destroyGraceSeconds",
        "networkMode",
        "capabilities",
        "hosts",
        "mounts",
    ],
    "container.capabilities": ["adds", "drops"],
    "container.networksAdvanced": ["name", "ipv4Address"],
    "container.ports": ["internal", "external", "ip", "protocol"],
    "container.uploads": ["file", "content", "executable"],
    "container.healthcheck": ["tests", "interval", "timeout", "retries", "startPeriod"],
    "container.volumes": ["volumeName", "containerPath", "readOnly"],
    "container.hosts": ["host", "ip"],
    "container.mounts": ["type", "target", "tmpfsOptions"],
    "container.mounts.tmpfsOptions": ["sizeBytes"],
    labels: ["label", "value"],
};

export function assertUnderstood(where: string, block: string, value: Inputs | undefined): void {
    for (const key of Object.keys(value ?? {})) {
        if (!(KNOWN[block] ?? []).includes(key)) {
            throw new Error(`deployer does not understand input "${key}" of ${where} (${block}); map it in test/live/deployer.ts`);
        }
    }
}

export function labelsOf(where: string, labels: Inputs[] | undefined): Record<string, string> {
    (labels ?? []).forEach((l) => assertUnderstood(where, "labels", l));
    return Object.fromEntries((labels ?? []).map((l) => [l.label, l.value]));
}

const NS = { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 } as const;
/** A duration as Go's time.ParseDuration reads it, in whole units: "2s", "1m0s", "500ms", "1h0m0s". */
export function durationNs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const parts = [...value.matchAll(/(\d+)(ms|h|m|s)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value)
        throw new Error(`deployer cannot read duration ${JSON.stringify(value)}`);
    return parts.reduce((ns, p) => ns + Number(p[1]) * NS[p[2] as keyof typeof NS], 0);
}

/**
 * The Engine API body the docker provider would send for these inputs. `containerNamed` turns a
 * `container:<id>` network mode into the container it names: the mocks' ids are no Docker ids.
 */
export function containerCreateBody(where: string, c: Inputs, containerNamed: (id: string) => string = (id) => id): Inputs {
    assertUnderstood(where, TYPES.container, c);
    assertUnderstood(where, "container.capabilities", c.capabilities);
    (c.networksAdvanced ?? []).forEach((n: Inputs) => assertUnderstood(where, "container.networksAdvanced", n));
    const ports: Inputs[] = c.ports ?? [];
    ports.forEach((p) => assertUnderstood(where, "container.ports", p));
    const hc = c.healthcheck;
    assertUnderstood(where, "container.healthcheck", hc);
    (c.volumes ?? []).forEach((v: Inputs) => assertUnderstood(where, "container.volumes", v));
    (c.hosts ?? []).forEach((h: Inputs) => assertUnderstood(where, "container.hosts", h));
    const mounts: Inputs[] = c.mounts ?? [];
    for (const m of mounts) {
        assertUnderstood(where, "container.mounts", m);
        assertUnderstood(where, "container.mounts.tmpfsOptions", m.tmpfsOptions);
        if (m.type !== "tmpfs") throw new Error(`deployer maps only tmpfs mounts, not ${m.type} (${where})`);
    }
    return {
        Hostname: c.hostname,
        Image: c.image,
        Env: c.envs ?? [],
        Labels: labelsOf(where, c.labels),
        StopSignal: c.stopSignal,
        StopTimeout: c.stopTimeout,
        Healthcheck: hc && {
            Test: hc.tests,
            Interval: durationNs(hc.interval),
            Timeout: durationNs(hc.timeout),
            Retries: hc.retries,
            StartPeriod: durationNs(hc.startPeriod),
        },
        ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, {}])),
        HostConfig: {
            PortBindings: Object.fromEntries(
                ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, [{ HostIp: p.ip ?? "", HostPort: String(p.external) }]]),
            ),
            RestartPolicy: c.restart ? { Name: c.restart } : undefined,
            // The provider binds a named volume as "name:path[:ro]" and passes its mounts blocks as Mounts.
            Mounts: [
                ...(c.volumes ?? []).map((v: Inputs) => ({
                    Type: "volume",
                    Source: v.volumeName,
                    Target: v.containerPath,
                    ...(v.readOnly ? { ReadOnly: true } : {}),
                })),
                ...mounts.map((m) => ({
                    Type: "tmpfs",
                    Target: m.target,
                    ...(m.tmpfsOptions?.sizeBytes ? { TmpfsOptions: { SizeBytes: m.tmpfsOptions.sizeBytes } } : {}),
                })),
            ],
            ExtraHosts: (c.hosts ?? []).map((h: Inputs) => `${h.host}:${h.ip}`),
            LogConfig: c.logDriver ? { Type: c.logDriver, Config: c.logOpts ?? {} } : undefined,
            NetworkMode: networkMode(c.networkMode, containerNamed),
            CapAdd: c.capabilities?.adds,
            CapDrop: c.capabilities?.drops,
        },
    };
}

/** "container:<id>" joins that container's network namespace; the provider passes any mode as it is. */
function networkMode(mode: string | undefined, containerNamed: (id: string) => string): string | undefined {
    if (mode === undefined) return undefined;
    const joined = /^container:(.+)$/.exec(mode);
    return joined ? `container:${containerNamed(joined[1])}` : mode;
}
