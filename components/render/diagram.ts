// A Mermaid diagram of the planned servers and flows, exported as a stack output. Pure.
import { Flow, Topology, isFromOutside } from "../topology";
import { lines } from "./text";

export function renderDiagram(topology: Topology): string {
    const id = (key: string) => key.replace(/-/g, "_");
    const servers = topology.servers.flatMap((server) => [
        `    subgraph ${id(server.name)}["${server.name} (${server.role})"]`,
        ...server.services.map((s) => `        ${id(s.key)}["${s.key.slice(server.name.length + 1)}"]`),
        "    end",
    ]);
    const source = (f: Flow) => (isFromOutside(f) ? `${f.from}((${f.from}))` : id(f.from.key));
    const flows = topology.flows.map((f) => `    ${source(f)} -->|${f.port}| ${id(f.to.key)}`);
    return lines("flowchart LR", ...servers, ...flows);
}
