// Alertmanager beside each Prometheus: its config (a secret file where it names a webhook), the SMTP
// password apart, and the flags that make a pair's two one cluster.
import {
    ALERTMANAGER_CONFIG_PATH,
    ALERTMANAGER_DEFAULTS_PATH,
    ALERTMANAGER_SMTP_PASSWORD_PATH,
    AlertmanagerConfigInput,
    renderAlertmanagerConfig,
    renderAlertmanagerDefaults,
} from "../render/alertmanager";
import { AlertmanagerPlan, PORTS } from "../topology";
import { RenderedService, ServiceContext, ServiceFile, httpCheck } from "./types";

export function alertmanagerService({ topology, view }: ServiceContext, alertmanager: AlertmanagerPlan): RenderedService {
    const alerts = topology.args.monitoring.alerts;
    const peers = topology.alertmanagers.filter((a) => a !== alertmanager);
    // It listens where Prometheus reaches it (every Prometheus reaches it at the same address), and
    // its peer gossips with it there too: on docker its monitoring address, never the edge one.
    const [prometheus] = topology.monitors;
    if (!prometheus) throw new Error(`${alertmanager.key}: an Alertmanager needs a Prometheus to send it alerts`);
    const self = view.reach(prometheus, alertmanager);
    const cluster =
        peers.length > 0
            ? {
                  self: `${self}:${PORTS.alertmanagerCluster}`,
                  peers: peers.map((peer) => `${view.reach(alertmanager, peer)}:${PORTS.alertmanagerCluster}`),
              }
            : undefined;
    const email = alerts?.email;
    const input: AlertmanagerConfigInput = email
        ? { email: { to: email.to, from: email.from, smarthost: email.smarthost, ...(email.username ? { username: email.username } : {}) } }
        : {};
    // The webhook's URL is a secret: then the whole config is made from the secrets, as a secret file.
    const config: ServiceFile = alerts?.webhookUrl
        ? {
              path: ALERTMANAGER_CONFIG_PATH,
              withSecrets: (secret) => renderAlertmanagerConfig({ ...input, webhookUrl: secret("alertWebhookUrl") }),
          }
        : { path: ALERTMANAGER_CONFIG_PATH, content: renderAlertmanagerConfig(input) };
    return {
        files: [
            config,
            ...(email?.username
                ? [{ path: ALERTMANAGER_SMTP_PASSWORD_PATH, withSecrets: (secret) => secret("alertSmtpPassword") } satisfies ServiceFile]
                : []),
            {
                path: ALERTMANAGER_DEFAULTS_PATH,
                content: renderAlertmanagerDefaults({
                    listenAddress: self,
                    listenPort: PORTS.alertmanager,
                    ...(cluster ? { cluster } : {}),
                }),
            },
        ],
        healthcheck: httpCheck(`http://${self}:${PORTS.alertmanager}/-/ready`),
    };
}
