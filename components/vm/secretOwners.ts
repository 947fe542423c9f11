// Who owns each secret-bearing file a VM's services read, once the boot helper has filled it in:
// the daemon's own user, mode 0400, wherever one user reads it. Pure.
import { ALERTMANAGER_CONFIG_PATH, ALERTMANAGER_SMTP_PASSWORD_PATH } from "../render/alertmanager";
import { APP_PASSWORD_PATH } from "../render/app";
import { HAPROXY_CERT_PATH } from "../render/haproxy";
import { MARIADB_BOOTSTRAP_PATH, MARIADB_KEY_PATH } from "../render/mariadb";
import { EXPORTER_CLIENT_PATH } from "../render/mysqldExporter";
import { PROMETHEUS_NETRC_PATH, PROMETHEUS_PASSWORD_PATH, PROMETHEUS_WEB_CONFIG_PATH } from "../render/prometheusAuth";
import { SecretFileOwner } from "./cloudInit";

/** Who may read each secret-bearing file once the boot helper has filled it in. */
const SECRET_OWNERS: Record<string, SecretFileOwner> = {
    [APP_PASSWORD_PATH]: { owner: "foobar", group: "foobar", mode: "0400" },
    [MARIADB_BOOTSTRAP_PATH]: { owner: "mysql", group: "mysql", mode: "0400" },
    [MARIADB_KEY_PATH]: { owner: "mysql", group: "mysql", mode: "0400" },
    // Debian's exporter unit runs as the prometheus user its package creates.
    [EXPORTER_CLIENT_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
    [HAPROXY_CERT_PATH]: { owner: "root", group: "haproxy", mode: "0640" },
    // Debian's prometheus unit runs as the prometheus user; only a container's health check reads the netrc.
    [PROMETHEUS_WEB_CONFIG_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
    [PROMETHEUS_PASSWORD_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
    [PROMETHEUS_NETRC_PATH]: { owner: "root", group: "root", mode: "0400" },
    // Debian's prometheus-alertmanager unit runs as prometheus too; the config names the webhook.
    [ALERTMANAGER_CONFIG_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
    [ALERTMANAGER_SMTP_PASSWORD_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
};

/** The owner of a service's secret-bearing file; `extra` adds a platform's own files. */
export function secretOwner(file: string, extra: Readonly<Record<string, SecretFileOwner>> = {}): SecretFileOwner {
    const owner = SECRET_OWNERS[file] ?? extra[file];
    if (!owner) throw new Error(`${file} holds a secret but has no owner in components/vm/boot.ts`);
    return owner;
}
