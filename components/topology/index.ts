// The platform-agnostic plan: servers, services, ports and the firewall paths between them. Pure.
export * from "./plans";
export { PRIMARY_SERVER_ID, buildTopology, replicaServerId } from "./build";
