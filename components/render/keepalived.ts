// keepalived.conf: VRRP over unicast, one virtual IP, a track script. For one HAProxy of a pair
// (the site's address, tracking HAProxy's health frontend) and for one node of a Galera cluster
// (the write address, tracking the node's membership of the majority). Pure: values in, text out.
import { assertSafeToken, lines } from "./text";

export const KEEPALIVED_CONFIG_PATH = "/etc/keepalived/keepalived.conf";
/**
 * Written at start by the image (images/keepalived/start.sh): one line, `$EDGE_INTERFACE=<name>`,
 * the interface that holds `unicastSource`. Docker names a container's interfaces in the order it
 * connects the networks, which no input fixes; the address is fixed, so the interface is found by it.
 */
export const KEEPALIVED_INTERFACE_PATH = "/run/keepalived/interface.conf";
/** The VRRP router id of the pair: one per layer-2 network, and each stack has its own edge network. */
export const VRRP_ROUTER_ID = 51;
/**
 * VRRPv3 advertisement interval. A backup takes over when three are missed (plus a skew under
 * one interval): about 1.7 s after its peer died silently (SIGKILL, power loss). A peer that stops
 * or whose HAProxy fails sends priority 0 instead, and the backup takes over at once.
 */
export const VRRP_ADVERT_SECONDS = 0.5;
/** The lower-priority router waits this long before it may claim the address, so a pair that starts together starts on the preferred one. */
export const VRRP_STARTUP_DELAY_SECONDS = 3;

export interface KeepalivedConfigInput {
    /** The server's name, in keepalived's logs. */
    readonly routerName: string;
    readonly priority: number;
    /** Whether another router of the pair has a higher priority (it then delays its start). */
    readonly preferredPeer: boolean;
    /** This router's address on the network the virtual IP lives on; VRRP adverts leave from it. */
    readonly unicastSource: string;
    readonly unicastPeers: readonly string[];
    /** The virtual IP with its prefix length, "10.77.0.254/24". */
    readonly virtualAddress: string;
    /** What the address is for, and what decides whether this router may hold it. */
    readonly role: SiteAddress | WriteAddress;
}

/** The site's address on a load balancer: held while this router's HAProxy answers. */
export interface SiteAddress {
    readonly kind: "site";
    /** A URL that answers 2xx while this router's HAProxy should take connections (its health frontend). */
    readonly trackUrl: string;
}

/** The database's write address on a Galera node: held while the node is a synced member of the majority. */
export interface WriteAddress {
    readonly kind: "write";
    /** Exits 0 while this node may take writes (runs as nobody). */
    readonly checkCommand: string;
    /** Run as root on every state change with keepalived's arguments (… MASTER|BACKUP|FAULT|STOP): sets read_only. */
    readonly notifyCommand: string;
}

/** The write address's VRRP router id: its own network (data), but never the site's id. */
export const VRRP_WRITE_ROUTER_ID = 52;
/**
 * Written at start like KEEPALIVED_INTERFACE_PATH, for a Galera node: `$DATA_INTERFACE=<name>`,
 * the interface holding the node's own address on the network its clients reach it on.
 */
export const KEEPALIVED_DATA_INTERFACE_PATH = "/run/keepalived/data-interface.conf";

interface RoleLines {
    readonly include: string;
    readonly interfaceVariable: string;
    readonly routerId: number;
    readonly instance: string;
    readonly check: readonly string[];
    readonly notify: readonly string[];
}

function roleLines(role: SiteAddress | WriteAddress): RoleLines {
    switch (role.kind) {
        case "site":
            assertSafeToken("address", role.trackUrl);
            return {
                include: KEEPALIVED_INTERFACE_PATH,
                interfaceVariable: "$EDGE_INTERFACE",
                routerId: VRRP_ROUTER_ID,
                instance: "site",
                check: [
                    "# HAProxy's health frontend: 503 from the moment HAProxy begins to stop, no answer once it is dead.",
                    "vrrp_script haproxy {",
                    `    script "/usr/bin/curl -fsS -m 1 -o /dev/null ${role.trackUrl}"`,
                    "    interval 1",
                    "    timeout 1",
                    "    fall 2",
                ],
                notify: [],
            };
        case "write":
            [role.checkCommand, role.notifyCommand].forEach((c) => assertSafeToken("command", c));
            return {
                include: KEEPALIVED_DATA_INTERFACE_PATH,
                interfaceVariable: "$DATA_INTERFACE",
                routerId: VRRP_WRITE_ROUTER_ID,
                instance: "database",
                check: [
                    "# Synced and in the majority (Primary component): a node cut off fails it within seconds.",
                    "vrrp_script galera {",
                    `    script "${role.checkCommand}"`,
                    "    interval 1",
                    "    # A busy host may answer one check late: three misses in a row, not two, give the address up.",
                    "    timeout 3",
                    "    fall 3",
                ],
                notify: [
                    "    # The holder turns read_only off, every other state turns it on: writes go to one node only.",
                    `    notify "${role.notifyCommand}" root`,
                ],
            };
        default: {
            const never: never = role;
            throw new Error(`unknown keepalived role ${JSON.stringify(never)}`);
        }
    }
}

export function renderKeepalivedConfig(input: KeepalivedConfigInput): string {
    assertSafeToken("router name", input.routerName);
    [input.unicastSource, ...input.unicastPeers, input.virtualAddress].forEach((v) => assertSafeToken("address", v));
    if (input.unicastPeers.length === 0) throw new Error("refusing to render keepalived for a router without a peer");
    const role = roleLines(input.role);
    const trackName = input.role.kind === "site" ? "haproxy" : "galera";
    return lines(
        "# Rendered by foobar-infra (components/render/keepalived.ts). Do not edit by hand.",
        `include ${role.include}`,
        "",
        "global_defs {",
        `    router_id ${input.routerName}`,
        "    # Track scripts run unprivileged, and keepalived refuses a script a non-root user could change.",
        "    script_user nobody nogroup",
        "    enable_script_security",
        "    # VRRPv3: sub-second advertisements. No vrrp_strict: it forbids unicast peers and adds firewall rules of its own.",
        "    vrrp_version 3",
        "    # Gratuitous ARPs again every minute: a neighbour that missed the first ones learns where the address is.",
        "    vrrp_garp_master_refresh 60",
        ...(input.preferredPeer ? [`    vrrp_startup_delay ${VRRP_STARTUP_DELAY_SECONDS}`] : []),
        "}",
        "",
        ...role.check,
        "    rise 2",
        "}",
        "",
        `vrrp_instance ${role.instance} {`,
        "    # Both start as BACKUP and nobody preempts: a router that returns stays standby, so a",
        "    # recovery never costs a second switch (the priority only picks the first holder).",
        "    state BACKUP",
        "    nopreempt",
        `    interface ${role.interfaceVariable}`,
        `    virtual_router_id ${role.routerId}`,
        `    priority ${input.priority}`,
        `    advert_int ${VRRP_ADVERT_SECONDS}`,
        "    # Unicast: a Docker bridge (and most clouds) do not carry multicast reliably. Adverts from",
        "    # anyone but the listed peer are ignored.",
        `    unicast_src_ip ${input.unicastSource}`,
        "    unicast_peer {",
        ...input.unicastPeers.map((p) => `        ${p}`),
        "    }",
        "    check_unicast_src",
        "    virtual_ipaddress {",
        `        ${input.virtualAddress} dev ${role.interfaceVariable}`,
        "    }",
        "    # A failing check puts this router in FAULT: it gives up the address (priority 0 advert).",
        "    track_script {",
        `        ${trackName}`,
        "    }",
        ...role.notify,
        "}",
    );
}
