// A Mermaid diagram of the planned servers and flows, exported as a stack output. Pure.
import { INTERNET, OPERATOR, Topology } from "../topology";
import { lines } from "./text";

export function renderDiagram(topology: Topology): string {
    const id = (key: string) => key.replace(/-/g, "_");
    const servers = topology.servers.flatMap((server) => [
        `    subgraph ${id(server.name)}["${server.name} (${server.role})"]`,
        ...server.services.map((key) => `        ${id(key)}["${key.slice(server.name.length + 1)}"]`),
        "    end",
    ]);
    const source = (from: string) => (from === INTERNET || from === OPERATOR ? `${from}((${from}))` : id(from));
    const flows = topology.flows.map((f) => `    ${source(f.from)} -->|${f.port}| ${id(f.to)}`);
    return lines("flowchart LR", ...servers, ...flows);
}
