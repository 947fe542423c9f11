// Prometheus's mysqld exporter beside each self-managed database: how it logs in and where it
// listens. Debian's prometheus-mysqld-exporter unit reads the same two files on EC2. Pure.
import { assertSafeToken, lines } from "./text";

/** The exporter's login, a MySQL option file: the password stays out of the command line. */
export const EXPORTER_CLIENT_PATH = "/etc/foobar/mysqld-exporter.cnf";
/** Debian's unit reads its flags from here (ARGS="..."); the docker image's command does too. */
export const EXPORTER_DEFAULTS_PATH = "/etc/default/prometheus-mysqld-exporter";

const HEADER = "# Rendered by foobar-infra (components/render/mysqldExporter.ts). Do not edit by hand.";

export interface ExporterClientInput {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    /** Or, on EC2, the placeholder the boot helper fills in from SSM. */
    readonly password: string;
    /** The database CA: the exporter connects over TLS and verifies the server's address. */
    readonly caFile: string;
}

export function renderExporterClient(input: ExporterClientInput): string {
    assertSafeToken("exporter database host", input.host);
    assertSafeToken("exporter database user", input.user);
    // Option files quote with "...": a password holding a quote, a backslash or a newline could end it.
    if (/["\\\n]/.test(input.password))
        throw new Error("refusing to render the exporter's password: it holds a quote, backslash or newline");
    assertSafeToken("exporter database CA", input.caFile);
    return lines(
        HEADER,
        "[client]",
        `host=${input.host}`,
        `port=${input.port}`,
        `user=${input.user}`,
        `password="${input.password}"`,
        `ssl-ca=${input.caFile}`,
    );
}

/** Collectors on by default in Debian's exporter (0.14) whose metrics no rule or dashboard here reads. */
export const UNUSED_COLLECTORS = ["info_schema.innodb_cmp", "info_schema.innodb_cmpmem", "info_schema.query_response_time"] as const;

export interface ExporterFlagsInput {
    /** The address Prometheus scrapes this exporter at, and the only one it listens on. */
    readonly listenAddress: string;
    readonly listenPort: number;
}

export function renderExporterDefaults(input: ExporterFlagsInput): string {
    assertSafeToken("exporter listen address", input.listenAddress);
    const flags = [
        `--config.my-cnf=${EXPORTER_CLIENT_PATH}`,
        `--web.listen-address=${input.listenAddress}:${input.listenPort}`,
        // Default collectors that report nothing here (no compressed tables, no query response
        // time plugin) but cost every scrape a round of queries: the exporters were the largest
        // share of an idle stack's CPU (docs/benchmarks.md, row 1).
        ...UNUSED_COLLECTORS.map((c) => `--no-collect.${c}`),
    ];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
