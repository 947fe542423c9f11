// `monitoring.alerts`: who Alertmanager tells (components/render/alertmanager.ts). Both receivers
// are optional; without either, the alerts stay in Alertmanager's and Prometheus's UIs.
import { CheckContext } from "./check";
import { isEmailAddress, isHostPort } from "./net";
import { GroupField } from "./schema";
import { SECRET_PLACEHOLDER } from "./secret";

/**
 * An http(s) URL of the characters a URL needs and YAML reads plainly: no spaces, quotes, brackets,
 * braces or backslashes (on aws the boot helper writes it into Alertmanager's YAML in place of a
 * placeholder, after the serializer chose its quoting).
 */
export const isWebhookUrl = (v: string): boolean =>
    /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~:/?#@!$&()*+,;=%-]*)?$/.test(v) && v.length <= 2048;

const EMAIL_FIX = 'must be one e-mail address like "oncall@example.com".';

const email: GroupField = {
    type: "group",
    optional: true,
    names: { args: "EmailReceiverArgs", resolved: "ResolvedEmailReceiver" },
    doc: "E-mail over SMTP (STARTTLS required): every notification of the webhook, to one address.",
    fields: {
        to: {
            type: "text",
            required: true,
            valid: isEmailAddress,
            fix: EMAIL_FIX,
            doc: "The address alerts go to, e.g. `oncall@example.com`.",
        },
        from: {
            type: "text",
            required: true,
            valid: isEmailAddress,
            fix: EMAIL_FIX,
            doc: "The sender they come from, e.g. `alerts@foobar.com`.",
        },
        smarthost: {
            type: "text",
            required: true,
            valid: isHostPort,
            fix: 'must be the SMTP server as host:port, like "smtp.example.org:587".',
            doc: "The SMTP server as host:port, e.g. `smtp.example.org:587`.",
        },
        username: {
            type: "text",
            valid: (v) => /^[^\s"'`\\]{1,256}$/.test(v),
            fix: "must be the SMTP login: no spaces or quotes, at most 256 characters.",
            doc: "The SMTP login, with `password`; unset: no login.",
        },
        password: {
            type: "secret",
            valid: (v) => v.length > 0 && v.length <= 1024 && !/[\r\n]/.test(v),
            fix: "must be the SMTP password, one line, as a secret: `pulumi config set --secret --path foobar:monitoring.alerts.email.password <password>`.",
            doc: "The SMTP password, as a secret (on aws an SSM SecureString, read by the load balancers only).",
        },
    },
};

export const ALERTS_SCHEMA: GroupField = {
    type: "group",
    optional: true,
    secret: true,
    names: { args: "AlertReceiversArgs", resolved: "ResolvedAlertReceivers" },
    doc: "Who Alertmanager (beside each Prometheus) tells: a webhook, e-mail, or both; critical alerts at once, warnings grouped and repeated every 4 h. Unset: the alerts stay in Alertmanager's and Prometheus's UIs.",
    fields: {
        webhookUrl: {
            type: "secret",
            valid: isWebhookUrl,
            fix: 'must be an http(s) URL without spaces or quotes, as a secret: `pulumi config set --secret --path foobar:monitoring.alerts.webhookUrl "https://..."`.',
            doc: 'Where every notification is POSTed (Alertmanager\'s webhook JSON), as a secret: a bridge to Slack, PagerDuty and the like (README, "Alerts that reach someone").',
        },
        email,
    },
};

/** The rules across keys: a login is a username and a password; receivers need monitoring on. */
export function checkAlerts({ p, args }: CheckContext): void {
    const alerts = args.monitoring.alerts;
    if (!alerts) return;
    if (!args.monitoring.enabled) {
        p.add(
            "monitoring.alerts",
            SECRET_PLACEHOLDER,
            "is only read with monitoring.enabled true (Alertmanager runs beside Prometheus); remove it or enable monitoring.",
        );
    }
    const login = alerts.email;
    if (login && (login.username === undefined) !== (login.password === undefined) && !p.has("monitoring.alerts.email.password")) {
        const missing = login.username === undefined ? "username" : "password";
        p.add(
            `monitoring.alerts.email.${missing}`,
            undefined,
            "is needed with the other: an SMTP login is a username and a password; set both, or neither.",
        );
    }
}
