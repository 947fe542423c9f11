// prometheus-blackbox-exporter beside each Prometheus: the probe of the public URL, as a visitor
// outside makes it (TLS to the site's name, the front address, a load balancer, nginx, an app). Pure.
import * as yaml from "js-yaml";
import { assertSafeToken, lines } from "./text";

export const BLACKBOX_CONFIG_PATH = "/etc/prometheus/blackbox.yml";
/** Debian's prometheus-blackbox-exporter unit reads its flags from here; the docker image's command too. */
export const BLACKBOX_DEFAULTS_PATH = "/etc/default/prometheus-blackbox-exporter";
/**
 * The site's certificate, the probe's only trust anchor: the probe then fails when the site shows
 * any other certificate (a stale one after a renewal, a proxy's), whoever signed it.
 */
export const BLACKBOX_SITE_CERTIFICATE_PATH = "/etc/prometheus/blackbox-site.pem";
export const BLACKBOX_JOB = "blackbox";
export const BLACKBOX_MODULE = "foobar_https";
/** Through every layer to an app, and never a page view: a probe must not record visits. */
export const PROBE_PATH = "/healthz";

/** The URL the blackbox exporter probes: the site's public HTTPS address. */
export function publicProbeUrl(domain: string): string {
    assertSafeToken("the site's domain", domain);
    return `https://${domain}${PROBE_PATH}`;
}

const HEADER = "# Rendered by foobar-infra (components/render/blackbox.ts). Do not edit by hand.";

export function renderBlackboxConfig(): string {
    return `${HEADER}\n${yaml.dump(
        {
            modules: {
                [BLACKBOX_MODULE]: {
                    prober: "http",
                    timeout: "5s",
                    http: {
                        method: "GET",
                        valid_status_codes: [200],
                        fail_if_not_ssl: true,
                        preferred_ip_protocol: "ip4",
                        tls_config: { ca_file: BLACKBOX_SITE_CERTIFICATE_PATH },
                    },
                },
            },
        },
        { lineWidth: -1, noRefs: true },
    )}`;
}

export interface BlackboxFlagsInput {
    /** The address its Prometheus scrapes it at, and the only one it listens on. */
    readonly listenAddress: string;
    readonly listenPort: number;
}

export function renderBlackboxDefaults(input: BlackboxFlagsInput): string {
    assertSafeToken("blackbox exporter listen address", input.listenAddress);
    const flags = [`--config.file=${BLACKBOX_CONFIG_PATH}`, `--web.listen-address=${input.listenAddress}:${input.listenPort}`];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
