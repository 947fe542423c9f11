// Shared by the topology and plan tests: a topology from untyped args, and its services by key
// (the production code passes plans; tests name them).
import { validateArgs } from "../../components/foobarSchema";
import { ServicePlan, Topology, buildTopology } from "../../components/topology";

export const topologyOf = (args: unknown): Topology => buildTopology(validateArgs(args));

/** The service with this key; fails the test when there is none. */
export function byKey(topology: Topology, key: string): ServicePlan {
    const found = topology.services.find((s) => s.key === key);
    if (!found) throw new Error(`the topology has no service ${key}; it has ${topology.services.map((s) => s.key).join(", ")}`);
    return found;
}

/** A flow's ends as keys: "internet" and "operator" stay as they are. */
export const endKey = (end: ServicePlan | string): string => (typeof end === "string" ? end : end.key);
