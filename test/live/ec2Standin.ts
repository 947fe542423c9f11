// A local stand-in for the EC2 API, as much of it as the write address's role hook uses: resource-
// agents' aws-vpc-move-ip runs `aws ec2 describe-route-tables` and `aws ec2 replace-route` through
// /usr/local/sbin/foobar-aws, which the boot rehearsal seam (/etc/foobar/ec2-endpoint) points here.
// EC2's query API: form-encoded POSTs (Action=..., Version=...), XML answers. It holds the stack's
// route tables (their routes as the program registered them), records every call with its caller's
// address and the access key that signed it (signatures are not checked: the instances carry fake
// credentials), and tells the test when a route changed, so it can route the VPC stand-in likewise.
import * as http from "http";
import { AddressInfo } from "net";
import { keyIdOf, sourceOf } from "./ssmStandin";

export interface StandinRoute {
    readonly destinationCidrBlock: string;
    networkInterfaceId?: string;
    gatewayId?: string;
}

export interface Ec2Request {
    readonly action: string;
    /** DescribeRouteTables: the RouteTableId.N asked for; ReplaceRoute: its one RouteTableId. */
    readonly routeTableIds: readonly string[];
    readonly destinationCidrBlock?: string;
    readonly networkInterfaceId?: string;
    readonly sourceAddress: string;
    readonly accessKeyId?: string;
    /** The HTTP status answered. */
    readonly status: number;
    /** Date.now() when it arrived. */
    readonly at: number;
}

export interface Ec2Standin {
    readonly url: string;
    readonly requests: Ec2Request[];
    /** The route tables as they are now, by id. */
    readonly routeTables: ReadonlyMap<string, readonly StandinRoute[]>;
    close(): Promise<void>;
}

const NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function startEc2Standin(options: {
    host: string;
    port: number;
    vpcId: string;
    routeTables: ReadonlyMap<string, readonly StandinRoute[]>;
    /** Called after a ReplaceRoute changed a route. */
    onRouteReplaced?: (routeTableId: string, route: StandinRoute) => void;
}): Promise<Ec2Standin> {
    const tables = new Map([...options.routeTables].map(([id, routes]) => [id, routes.map((r) => ({ ...r }))]));
    const requests: Ec2Request[] = [];
    let seq = 0;
    const server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c) => chunks.push(c));
        req.on("end", () => {
            const at = Date.now();
            const form = new URLSearchParams(req.method === "POST" ? Buffer.concat(chunks).toString() : (req.url ?? "").split("?")[1]);
            const action = form.get("Action") ?? "";
            const requestId = `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`;
            const send = (status: number, xml: string) => {
                const body = `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
                res.writeHead(status, { "Content-Type": "text/xml;charset=UTF-8", "Content-Length": Buffer.byteLength(body) });
                res.end(body);
                return status;
            };
            const fail = (status: number, code: string, message: string) =>
                send(
                    status,
                    `<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
                );
            const indexed = (prefix: string) =>
                [...form.keys()].filter((k) => new RegExp(`^${prefix}\\.\\d+$`).test(k)).map((k) => form.get(k) as string);
            let routeTableIds: string[] = [];
            let status: number;
            if (action === "DescribeRouteTables") {
                routeTableIds = indexed("RouteTableId");
                const missing = routeTableIds.find((id) => !tables.has(id));
                if (indexed("Filter").length > 0 || [...form.keys()].some((k) => k.startsWith("Filter.")))
                    status = fail(400, "InvalidParameterValue", "the EC2 stand-in answers DescribeRouteTables by RouteTableId only");
                else if (missing) status = fail(400, "InvalidRouteTableID.NotFound", `The routeTable ID '${missing}' does not exist`);
                else {
                    const ids = routeTableIds.length > 0 ? routeTableIds : [...tables.keys()];
                    const items = ids.map((id) => {
                        const routes = (tables.get(id) ?? []).map(
                            (r) =>
                                `<item><destinationCidrBlock>${r.destinationCidrBlock}</destinationCidrBlock>` +
                                (r.networkInterfaceId ? `<networkInterfaceId>${r.networkInterfaceId}</networkInterfaceId>` : "") +
                                (r.gatewayId ? `<gatewayId>${r.gatewayId}</gatewayId>` : "") +
                                `<state>active</state><origin>CreateRoute</origin></item>`,
                        );
                        return `<item><routeTableId>${id}</routeTableId><vpcId>${options.vpcId}</vpcId><ownerId>123456789012</ownerId><routeSet>${routes.join("")}</routeSet><associationSet/><propagatingVgwSet/><tagSet/></item>`;
                    });
                    status = send(
                        200,
                        `<DescribeRouteTablesResponse xmlns="${NS}"><requestId>${requestId}</requestId><routeTableSet>${items.join("")}</routeTableSet></DescribeRouteTablesResponse>`,
                    );
                }
            } else if (action === "ReplaceRoute") {
                const id = form.get("RouteTableId") ?? "";
                routeTableIds = [id];
                const cidr = form.get("DestinationCidrBlock") ?? "";
                const eni = form.get("NetworkInterfaceId") ?? undefined;
                const route = tables.get(id)?.find((r) => r.destinationCidrBlock === cidr);
                if (!tables.has(id)) status = fail(400, "InvalidRouteTableID.NotFound", `The routeTable ID '${id}' does not exist`);
                else if (!route) status = fail(400, "InvalidParameterValue", `There is no route defined for '${cidr}' in the route table.`);
                else if (!eni)
                    status = fail(400, "InvalidParameterCombination", "the EC2 stand-in replaces routes to a network interface only");
                else {
                    route.networkInterfaceId = eni;
                    delete route.gatewayId;
                    status = send(
                        200,
                        `<ReplaceRouteResponse xmlns="${NS}"><requestId>${requestId}</requestId><return>true</return></ReplaceRouteResponse>`,
                    );
                    options.onRouteReplaced?.(id, { ...route });
                }
            } else {
                status = fail(
                    400,
                    "InvalidAction",
                    `the EC2 stand-in implements DescribeRouteTables and ReplaceRoute only, not ${action || "(none)"}`,
                );
            }
            requests.push({
                action,
                routeTableIds,
                destinationCidrBlock: form.get("DestinationCidrBlock") ?? undefined,
                networkInterfaceId: form.get("NetworkInterfaceId") ?? undefined,
                sourceAddress: sourceOf(req),
                accessKeyId: keyIdOf(req),
                status,
                at,
            });
        });
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port, options.host, () => {
            server.off("error", reject);
            const { address, port } = server.address() as AddressInfo;
            resolve({
                url: `http://${address}:${port}`,
                requests,
                routeTables: tables,
                close: () =>
                    new Promise<void>((done) => {
                        server.closeAllConnections();
                        server.close(() => done());
                    }),
            });
        });
    });
}
