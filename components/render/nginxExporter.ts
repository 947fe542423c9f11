// prometheus-nginx-exporter beside each nginx: its flags, as Debian's /etc/default file carries them. Pure.
import { assertSafeToken, lines } from "./text";

/** Debian's prometheus-nginx-exporter unit reads its flags from here; the docker image's command too. */
export const NGINX_EXPORTER_DEFAULTS_PATH = "/etc/default/prometheus-nginx-exporter";
export const NGINX_JOB = "nginx";
/** Where nginx answers with its stub_status (render/nginx.ts), on its status listener only. */
export const STUB_STATUS_PATH = "/stub_status";

export interface NginxExporterFlagsInput {
    /** host:port of nginx's status listener. */
    readonly statusAddress: string;
    /** The address Prometheus scrapes it at, and the only one it listens on. */
    readonly listenAddress: string;
    readonly listenPort: number;
}

const HEADER = "# Rendered by foobar-infra (components/render/nginxExporter.ts). Do not edit by hand.";

export function renderNginxExporterDefaults(input: NginxExporterFlagsInput): string {
    assertSafeToken("nginx status address", input.statusAddress);
    assertSafeToken("nginx exporter listen address", input.listenAddress);
    // Debian's 0.11 takes Go's single-dash flags.
    const flags = [
        `-nginx.scrape-uri=http://${input.statusAddress}${STUB_STATUS_PATH}`,
        `-web.listen-address=${input.listenAddress}:${input.listenPort}`,
    ];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
