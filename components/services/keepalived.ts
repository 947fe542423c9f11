// keepalived beside each HAProxy of a pair: its config, and where its start script finds its address.
import { HAPROXY_HEALTH_URI } from "../render/haproxy";
import { KEEPALIVED_CONFIG_PATH, renderKeepalivedConfig } from "../render/keepalived";
import { KeepalivedPlan } from "../topology";
import { RenderedService, ServiceContext } from "./types";

export function keepalivedService({ topology, view }: ServiceContext, keepalived: KeepalivedPlan): RenderedService {
    const virtualAddress = view.floatingAddress;
    if (!virtualAddress) throw new Error(`${keepalived.key}: keepalived needs a floating address on this platform`);
    const pair = view.pairOf(keepalived.haproxy);
    if (!pair) throw new Error(`${keepalived.key}: its HAProxy is not rendered as one of a pair`);
    const peers = topology.keepalived.filter((k) => k !== keepalived);
    const unicastSource = view.reach(keepalived, keepalived);
    return {
        files: [
            {
                path: KEEPALIVED_CONFIG_PATH,
                content: renderKeepalivedConfig({
                    routerName: keepalived.server,
                    priority: keepalived.priority,
                    preferredPeer: peers.some((p) => p.priority > keepalived.priority),
                    unicastSource,
                    unicastPeers: peers.map((p) => view.reach(keepalived, p)),
                    virtualAddress,
                    role: { kind: "site", trackUrl: `http://${pair.healthBind}${HAPROXY_HEALTH_URI}` },
                }),
            },
        ],
        // The start script (images/keepalived/start.sh): which interface holds the VRRP address,
        // and which address to stop taking new connections for when the container stops.
        env: [
            ["KEEPALIVED_UNICAST_SOURCE", unicastSource],
            ["KEEPALIVED_VIRTUAL_ADDRESS", virtualAddress.split("/")[0]],
        ],
        // keepalived's VRRP process is alive (its parent is the container's main process).
        healthcheck: ["CMD", "sh", "-c", 'kill -0 "$(cat /run/vrrp.pid)"'],
    };
}
