// What each service needs on its server, from the shared renderers: one function per kind.
// Both platforms call renderService; adding a kind adds a case here and its file beside it.
import { ServicePlan } from "../topology";
import { alertmanagerService } from "./alertmanager";
import { haproxyService } from "./haproxy";
import { keepalivedService } from "./keepalived";
import { mariadbService } from "./mariadb";
import { exporterService, prometheusService } from "./monitoring";
import { blackboxService, nginxExporterService, nodeExporterService } from "./probes";
import { RenderedService, ServiceContext } from "./types";
import { appService, nginxService } from "./web";

export * from "./types";
export { SEMI_SYNC_TIMEOUT_MS } from "./mariadb";

export function renderService(context: ServiceContext, plan: ServicePlan): RenderedService {
    switch (plan.kind) {
        case "haproxy":
            return haproxyService(context, plan);
        case "keepalived":
            return keepalivedService(context, plan);
        case "nginx":
            return nginxService(context, plan);
        case "app":
            return appService(context, plan);
        case "mariadb":
            return mariadbService(context, plan);
        case "rds":
            throw new Error(`${plan.key} is RDS: AWS runs it, nothing of ours is rendered for it`);
        case "prometheus":
            return prometheusService(context, plan);
        case "alertmanager":
            return alertmanagerService(context, plan);
        case "mysqld-exporter":
            return exporterService(context, plan);
        case "nginx-exporter":
            return nginxExporterService(context, plan);
        case "node-exporter":
            return nodeExporterService(context, plan);
        case "blackbox-exporter":
            return blackboxService(context, plan);
        default: {
            const never: never = plan;
            throw new Error(`unknown service kind ${JSON.stringify(never)}`);
        }
    }
}
