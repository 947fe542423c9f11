// The aws platform's security groups, derived from the topology's flows. Pure.
import { INTERNET, PORTS, ServiceKind, Topology, isFromOutside } from "../../topology";
import { WRITE_OVERLAY_CIDR } from "./writeAddress";

/**
 * Security groups: "host" is on every instance (internet egress for packages and the SSM API,
 * SSH from aws.adminCidr only); "lb", "web" and "db" carry the topology's flows, by source group.
 */
export type SecurityGroupName = "host" | "lb" | "web" | "db";
export const SECURITY_GROUPS: readonly SecurityGroupName[] = ["host", "lb", "web", "db"];
export const ANYWHERE = "0.0.0.0/0";

export interface RulePlan {
    readonly group: SecurityGroupName;
    readonly direction: "ingress" | "egress";
    /** A TCP port, or "vrrp": IP protocol 112 (keepalived's adverts), which has no ports. */
    readonly port: number | "vrrp";
    /** A UDP port instead (Alertmanager's gossip). */
    readonly udp?: true;
    readonly peer: { readonly group: SecurityGroupName } | { readonly cidr: string };
    readonly description: string;
}

/** The security group a service's traffic is allowed by. */
export function groupOf(kind: ServiceKind): SecurityGroupName {
    switch (kind) {
        case "haproxy":
        case "keepalived":
        case "prometheus":
        case "alertmanager":
            return "lb";
        case "nginx":
        case "app":
        case "nginx-exporter":
            return "web";
        // An exporter runs beside its database, so Prometheus's scrapes are let into the database's group.
        case "mariadb":
        case "rds":
        case "mysqld-exporter":
            return "db";
        // On every instance, as "host" is.
        case "node-exporter":
            return "host";
        case "blackbox-exporter":
            return "lb";
        default: {
            const never: never = kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

/**
 * Least privilege, by source group: each cross-server flow becomes one ingress and one egress rule.
 * `nlbSubnets`: with an NLB in front (topology.front "nlb"), the CIDRs of its subnets. Its target
 * groups do not preserve the client's address (loadBalancer.ts), so every connection it passes on,
 * and every health check, comes from one of its own addresses there: the internet's flows to
 * HAProxy are let in from those subnets only, never from anywhere.
 */
export function planRules(topology: Topology, nlbSubnets: readonly string[] = []): RulePlan[] {
    const { adminCidr } = topology.args.aws;
    const nlb = topology.front === "nlb";
    if (nlb !== nlbSubnets.length > 0) throw new Error(`front ${topology.front} with ${nlbSubnets.length} NLB subnets`);
    const rules = new Map<string, RulePlan>();
    // Flows that land on the same rule share it; its description names every purpose.
    const add = (r: RulePlan) => {
        const key = `${r.group}|${r.direction}|${r.udp ? "udp" : ""}${r.port}|${JSON.stringify(r.peer)}`;
        const before = rules.get(key);
        const purposes = new Set([...(before ? before.description.split("; ") : []), r.description]);
        rules.set(key, { ...r, description: [...purposes].sort().join("; ") });
    };
    const between = (src: SecurityGroupName, dst: SecurityGroupName, port: RulePlan["port"], description: string, udp = false) => {
        const protocol = udp ? { udp: true as const } : {};
        add({ group: dst, direction: "ingress", port, ...protocol, peer: { group: src }, description });
        add({ group: src, direction: "egress", port, ...protocol, peer: { group: dst }, description });
    };
    for (const flow of topology.flows) {
        if (isFromOutside(flow)) {
            // Operators come through an SSM port forward, which ends on the instance itself: no rule.
            if (flow.from === INTERNET) {
                const group = groupOf(flow.to.kind);
                if (!nlb) add({ group, direction: "ingress", port: flow.port, peer: { cidr: ANYWHERE }, description: flow.purpose });
                for (const cidr of nlbSubnets) {
                    add({ group, direction: "ingress", port: flow.port, peer: { cidr }, description: `${flow.purpose}, through the NLB` });
                }
            }
            continue;
        }
        const { from, to } = flow;
        // The probe goes out to the site's public name, and comes back in as any visitor (below).
        if (from.kind === "blackbox-exporter" && to.kind === "haproxy") continue;
        // Services on one instance talk over loopback; RDS is always another host.
        if (from.server === to.server && to.kind !== "rds") continue;
        between(groupOf(from.kind), groupOf(to.kind), flow.port, flow.purpose, flow.protocol === "udp");
    }
    // The NLB asks each HAProxy's health frontend whether to send it new connections.
    for (const cidr of nlbSubnets) {
        add({
            group: groupOf("haproxy"),
            direction: "ingress",
            port: PORTS.lbHealth,
            peer: { cidr },
            description: "health checks of the NLB",
        });
    }
    // A Galera cluster's keepalived instances elect the write address's holder over VRRP (unicast):
    // between the database nodes only (the "db" group is on them alone).
    if (topology.galera) {
        between("db", "db", "vrrp", "VRRP adverts for the write address");
        // An egress rule naming a group matches its members' own addresses only, never the overlay
        // address the app writes to (writeAddress.ts): that one is let out by its /32.
        add({
            group: groupOf("app"),
            direction: "egress",
            port: PORTS.mysql,
            peer: { cidr: WRITE_OVERLAY_CIDR },
            description: "writes to the write address",
        });
    }
    if (topology.args.database.mode === "managed") {
        // The load balancer's instance creates the schema and the app user on RDS at first boot.
        between("lb", "db", PORTS.mysql, "schema and users on RDS, at first boot");
    }
    add({ group: "host", direction: "egress", port: PORTS.http, peer: { cidr: ANYWHERE }, description: "the Debian archive" });
    add({
        group: "host",
        direction: "egress",
        port: PORTS.https,
        peer: { cidr: ANYWHERE },
        description: "SSM, the AWS APIs and the Debian security archive",
    });
    if (topology.probers.length > 0) {
        add({
            group: "host",
            direction: "egress",
            port: PORTS.https,
            peer: { cidr: ANYWHERE },
            description: "the probe of the public URL",
        });
    }
    // Alertmanager mails through the SMTP server of monitoring.alerts.email (a webhook is on 443 or 80: "host").
    const smtp = topology.alertmanagers.length > 0 ? topology.args.monitoring.alerts?.email?.smarthost : undefined;
    if (smtp) {
        const port = Number(smtp.split(":").pop());
        add({
            group: groupOf("alertmanager"),
            direction: "egress",
            port,
            peer: { cidr: ANYWHERE },
            description: "Alertmanager's SMTP server",
        });
    }
    if (adminCidr)
        add({ group: "host", direction: "ingress", port: 22, peer: { cidr: adminCidr }, description: "SSH from aws.adminCidr only" });
    return [...rules.values()];
}
