// What a service needs on its server, as both platforms deliver it: files, environment and a
// health check. Only the delivery differs (docker uploads, cloud-init write_files).
import { PairInput } from "../render/haproxy";
import { HaproxyPlan, ServicePlan, Topology } from "../topology";

/** The secrets a file may hold (named as in Credentials); each platform says how it fills them in. */
export const SECRET_NAMES = [
    "appPassword",
    "replicationPassword",
    "monitorPassword",
    "certificatePem",
    "privateKeyPem",
    "prometheusPassword",
    "prometheusPasswordHash",
    "alertWebhookUrl",
    "alertSmtpPassword",
    // A self-managed database's TLS: the CA everyone trusts, and the certificate and key of the
    // database server being rendered (each platform hands over the right one).
    "databaseCaPem",
    "databaseCertPem",
    "databaseKeyPem",
] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/**
 * Hands a secret's value to a file being rendered: the real one (docker), or a placeholder the
 * boot helper fills in (aws). Public material (certificates) comes the same way.
 */
export type SecretLookup = (name: SecretName) => string;

export type ServiceFile =
    | { readonly path: string; readonly content: string }
    /** A file that holds secrets is made from them, so each platform decides what they are. */
    | { readonly path: string; readonly withSecrets: (secret: SecretLookup) => string };

export interface RenderedService {
    readonly files: readonly ServiceFile[];
    readonly env?: ReadonlyArray<readonly [string, string]>;
    /** A command that exits 0 when the service answers. */
    readonly healthcheck: readonly string[];
}

/** How services see each other on one platform. */
export interface PlatformView {
    /** The address `from` uses to reach `to`. */
    reach(from: ServicePlan, to: ServicePlan): string;
    /** Where the app listens: its own container address space, or loopback behind nginx on a VM. */
    readonly appListenHost: string;
    /** The internal address a HAProxy serves stats and metrics on. */
    statsAddress(haproxy: HaproxyPlan): string;
    /** The HTTPS port clients see (the published one on docker). */
    readonly publicHttpsPort: number;
    /** Host pattern MariaDB users may connect from (config/net.ts's databaseHostPattern). */
    readonly databaseClientHost: string;
    /** How a HAProxy of a pair is fronted (health frontend, stop grace, PROXY protocol); undefined for a single one. */
    pairOf(haproxy: HaproxyPlan): PairInput | undefined;
    /** The address keepalived floats between a pair, with its prefix length ("10.77.0.254/24"); undefined where none floats. */
    readonly floatingAddress?: string;
    /** A Galera cluster's write address with its prefix length ("10.77.2.254/24"); undefined where there is none. */
    readonly writeAddress?: string;
    /**
     * Where an app's connections to the write address come from when it shares a host with the
     * node holding it (a VM: the write address itself); undefined where each app has its own address.
     */
    readonly writeAddressAsSource?: string;
}

export interface ServiceContext {
    readonly topology: Topology;
    readonly view: PlatformView;
}

/** A health check that passes when `url` answers 2xx (every image but the app's and MariaDB's has curl). */
export const httpCheck = (url: string): string[] => ["CMD", "curl", "-fsS", "-o", "/dev/null", url];

/** An exporter listens only where Prometheus scrapes it: every Prometheus reaches it at the same address. */
export function scrapedAt({ topology, view }: ServiceContext, exporter: ServicePlan): string {
    const [prometheus] = topology.monitors;
    if (!prometheus) throw new Error(`${exporter.key}: an exporter needs a Prometheus to scrape it`);
    return view.reach(prometheus, exporter);
}
