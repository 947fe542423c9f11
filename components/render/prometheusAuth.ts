// Prometheus answers operators only with a password from the stack's secrets: its web config (a
// bcrypt hash), the password file it scrapes itself with, and a netrc for the health check. Pure.
import * as yaml from "js-yaml";
import { assertSafeToken, lines } from "./text";

/** Prometheus reads the users it accepts from here (--web.config.file). */
export const PROMETHEUS_WEB_CONFIG_PATH = "/etc/prometheus/web.yml";
/** The password Prometheus's own scrape of itself sends (basic_auth.password_file). */
export const PROMETHEUS_PASSWORD_PATH = "/etc/prometheus/operator-password";
/** The login of the container's health check (curl --netrc-file): no password on a command line. */
export const PROMETHEUS_NETRC_PATH = "/etc/prometheus/healthcheck.netrc";
/** The one user Prometheus accepts. */
export const PROMETHEUS_USER = "operator";

const HEADER = "# Rendered by foobar-infra (components/render/prometheusAuth.ts). Do not edit by hand.";

/** `passwordHash`: bcrypt, as @pulumi/random's RandomPassword.bcryptHash gives it. */
export function renderPrometheusWebConfig(passwordHash: string): string {
    // A placeholder (aws) is filled in at boot; a real hash must look like one.
    if (!/^(\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}|@@FOOBAR_SECRET:[a-z0-9-]+@@)$/.test(passwordHash)) {
        throw new Error("refusing to render Prometheus's web config: the password hash is not bcrypt");
    }
    return `${HEADER}\n${yaml.dump({ basic_auth_users: { [PROMETHEUS_USER]: passwordHash } }, { lineWidth: -1 })}`;
}

/** A generated password (letters and digits), or the placeholder the boot helper fills in (aws). */
const PASSWORD = /^([A-Za-z0-9]+|@@FOOBAR_SECRET:[a-z0-9-]+@@)$/;

export function renderNetrc(host: string, password: string): string {
    assertSafeToken("netrc host", host);
    if (!PASSWORD.test(password)) throw new Error("refusing to render the netrc: the password holds more than letters and digits");
    return lines(`machine ${host} login ${PROMETHEUS_USER} password ${password}`);
}
