// The typed arguments of FoobarInfra and their defaults. Pure: no Pulumi resources here.
import * as pulumi from "@pulumi/pulumi";
import { AwsArgs, ResolvedAws } from "./awsArgs";

export type Platform = "docker" | "aws";
export type LbAlgorithm = "roundrobin" | "leastconn" | "source";
export type LbMode = "active-active" | "active-passive";
export type DatabaseMode = "self-managed" | "managed";

export const PLATFORMS: readonly Platform[] = ["docker", "aws"];
export const LB_ALGORITHMS: readonly LbAlgorithm[] = ["roundrobin", "leastconn", "source"];
export const LB_MODES: readonly LbMode[] = ["active-active", "active-passive"];
export const DATABASE_MODES: readonly DatabaseMode[] = ["self-managed", "managed"];
export const TLS_MODES = ["self-signed", "provided"] as const;

export const DEFAULT_PLATFORM: Platform = "docker";
export const DEFAULT_DOMAIN = "www.foobar.com";
export const DEFAULT_WEB_SERVERS = 2;
export const MAX_WEB_SERVERS = 8;
export const DEFAULT_LB_ALGORITHM: LbAlgorithm = "roundrobin";
export const DEFAULT_LB_MODE: LbMode = "active-active";
export const DEFAULT_HEALTH_CHECK = { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2 } as const;
export const DEFAULT_TLS_VALIDITY_DAYS = 365;
export const DEFAULT_DATABASE_MODE: DatabaseMode = "self-managed";
export const DEFAULT_DOCKER = {
    httpPort: 8080,
    httpsPort: 8443,
    bindAddress: "127.0.0.1",
    subnet: "10.77.0.0/16",
    prometheusPort: 9090,
} as const;
export const DEFAULT_MONITORING = { enabled: true, scrapeIntervalSeconds: 5, retentionDays: 15 } as const;

/** The docker platform's shared networks, in address order; each web server's own follows them. */
export const DOCKER_SHARED_NETWORKS = ["edge", "web", "data", "metrics"] as const;
/** /24 networks one docker subnet must hold: the shared ones and one per web server. */
export const dockerNetworkCount = (webServers: number): number => DOCKER_SHARED_NETWORKS.length + webServers;

/** How HAProxy decides that a web server is up or down. */
export interface HealthCheckArgs {
    /** Time between two checks of one server, in milliseconds. @default 1000 */
    readonly intervalMs?: number;
    /** How long one check may take, in milliseconds; at most intervalMs. @default min(1000, intervalMs) */
    readonly timeoutMs?: number;
    /** Consecutive failed checks that take a server out of rotation. @default 2 */
    readonly fall?: number;
    /** Consecutive passed checks that bring a server back. @default 2 */
    readonly rise?: number;
}

/** The load balancer on the last server. */
export interface LoadBalancerArgs {
    /** How requests are spread over the web servers. @default "roundrobin" */
    readonly algorithm?: LbAlgorithm;
    /**
     * "active-active": every web server takes traffic. "active-passive": only server-1 takes
     * traffic; the others are HAProxy `backup` servers that take over when it fails.
     * @default "active-active"
     */
    readonly mode?: LbMode;
    /** Health check timings. @default DEFAULT_HEALTH_CHECK */
    readonly healthCheck?: HealthCheckArgs;
}

/** TLS for the site, terminated on HAProxy. */
export type TlsArgs =
    | {
          /** A CA and an ECDSA P-256 site certificate (domain + localhost) made with @pulumi/tls. */
          readonly mode: "self-signed";
          /** Validity of the CA and the site certificate, in days. @default 365 */
          readonly validityDays?: number;
      }
    | {
          /** Bring your own certificate: both PEMs come from secret config. */
          readonly mode: "provided";
          /** PEM certificate chain for the domain, leaf first. */
          readonly certificate: pulumi.Input<string>;
          /** PEM private key of the certificate. Keep it secret. */
          readonly key: pulumi.Input<string>;
      };

/** The primary-replica database cluster. */
export interface DatabaseArgs {
    /**
     * "self-managed": MariaDB primary on the load-balancer server, replicas on the web servers,
     * GTID replication. "managed": RDS MySQL with a read replica (platform aws only).
     * @default "self-managed"
     */
    readonly mode?: DatabaseMode;
    /**
     * Read replicas. Self-managed: at most one per web server, placed on server-1, server-2, ...
     * Managed: RDS read replicas, 0 to 5.
     * @default webServers (self-managed), 1 (managed)
     */
    readonly replicas?: number;
}

/** Settings only the docker platform reads. */
export interface DockerArgs {
    /** Host port published for HTTP (redirects to HTTPS). @default 8080 */
    readonly httpPort?: number;
    /** Host port published for HTTPS. @default 8443 */
    readonly httpsPort?: number;
    /** Host address the two ports are published on; loopback keeps the site private. @default "127.0.0.1" */
    readonly bindAddress?: string;
    /** Private IPv4 range (prefix /16 to /21) carved into one /24 per network: edge, web, data, metrics and one per web server. @default "10.77.0.0/16" */
    readonly subnet?: string;
    /** Host port published for the Prometheus UI and API, on bindAddress (with monitoring on). @default 9090 */
    readonly prometheusPort?: number;
}

/** Prometheus on the load balancer's server: scrapes HAProxy's metrics and evaluates the alert rules. */
export interface MonitoringArgs {
    /** Run Prometheus. @default true */
    readonly enabled?: boolean;
    /** Seconds between two scrapes (and rule evaluations), 1 to 60; alerts fire after 2 to 3 of them. @default 5 */
    readonly scrapeIntervalSeconds?: number;
    /** Days of metrics Prometheus keeps, 1 to 365. @default 15 */
    readonly retentionDays?: number;
}

export interface FoobarInfraArgs {
    /** Where the servers run. @default "docker" */
    readonly platform?: Platform;
    /** The site's name; the certificate covers it and localhost. @default "www.foobar.com" */
    readonly domain?: string;
    /** Number of web servers (server-1 .. server-N); the load balancer is server-(N+1). @default 2 */
    readonly webServers?: number;
    /** @default DEFAULT_LB_* */
    readonly lb?: LoadBalancerArgs;
    /** @default { mode: "self-signed" } */
    readonly tls?: TlsArgs;
    /** @default { mode: "self-managed", replicas: webServers } */
    readonly database?: DatabaseArgs;
    /** @default DEFAULT_MONITORING */
    readonly monitoring?: MonitoringArgs;
    /** @default DEFAULT_DOCKER */
    readonly docker?: DockerArgs;
    /** @default DEFAULT_AWS */
    readonly aws?: AwsArgs;
}

/** FoobarInfraArgs with every default applied; what topology and renderers read. */
export interface ResolvedArgs {
    readonly platform: Platform;
    readonly domain: string;
    readonly webServers: number;
    readonly lb: {
        readonly algorithm: LbAlgorithm;
        readonly mode: LbMode;
        readonly healthCheck: Required<HealthCheckArgs>;
    };
    readonly tls:
        | { readonly mode: "self-signed"; readonly validityDays: number }
        | { readonly mode: "provided"; readonly certificate: pulumi.Input<string>; readonly key: pulumi.Input<string> };
    readonly database: { readonly mode: DatabaseMode; readonly replicas: number };
    readonly monitoring: Required<MonitoringArgs>;
    readonly docker: Required<DockerArgs>;
    readonly aws: ResolvedAws;
}
