// A web server's two services: nginx in front, the app behind it.
import { APP_PASSWORD_PATH, appEnvironment } from "../render/app";
import { DATABASE_CA_PATH } from "../render/mariadb";
import { NGINX_CONFIG_PATH, renderNginxConfig } from "../render/nginx";
import { APP_DB_USER, AppPlan, DATABASE_NAME, NginxPlan, PORTS, Topology, primaryOf } from "../topology";
import { PlatformView, RenderedService, SecretLookup, ServiceContext, httpCheck } from "./types";

export function nginxService({ topology, view }: ServiceContext, nginx: NginxPlan): RenderedService {
    // Its stub_status listens where its exporter reaches it.
    const exporter = topology.nginxExporters.find((e) => e.watches === nginx);
    const config = renderNginxConfig({
        serverName: nginx.server,
        domain: topology.args.domain,
        listenPort: PORTS.nginx,
        appAddress: view.reach(nginx, nginx.app),
        appPort: PORTS.app,
        ...(exporter ? { status: { port: PORTS.nginxStatus, allow: view.reach(nginx, exporter) } } : {}),
    });
    return {
        files: [{ path: NGINX_CONFIG_PATH, content: config }],
        healthcheck: httpCheck(`http://127.0.0.1:${PORTS.nginx}/nginx-health`),
    };
}

const dbFlavorOf = (topology: Topology) => {
    if (topology.galera) return "galera";
    return primaryOf(topology).kind === "rds" ? "mysql" : "mariadb";
};

function writeHostOf(view: PlatformView): string {
    const address = view.writeAddress?.split("/")[0];
    if (!address) throw new Error("a Galera cluster needs a write address on this platform");
    return address;
}

export function appService({ topology, view }: ServiceContext, app: AppPlan): RenderedService {
    // Its metrics listen where Prometheus reaches them (every Prometheus at the same address).
    const [prometheus] = topology.monitors;
    const env = appEnvironment({
        serverName: app.server,
        domain: topology.args.domain,
        listenHost: view.appListenHost,
        port: PORTS.app,
        dbFlavor: dbFlavorOf(topology),
        // A Galera cluster's writes go to its write address, which moves with the writer.
        writerHost: topology.galera ? writeHostOf(view) : view.reach(app, primaryOf(topology)),
        readerHost: app.reader === undefined ? undefined : view.reach(app, app.reader),
        dbPort: PORTS.mysql,
        database: DATABASE_NAME,
        user: APP_DB_USER,
        caFile: DATABASE_CA_PATH,
        ...(prometheus ? { metrics: { host: view.reach(prometheus, app), port: PORTS.appMetrics } } : {}),
    });
    // Our own database's CA comes with the stack; RDS's is Amazon's, which the aws platform fetches at boot.
    const ca =
        primaryOf(topology).kind === "mariadb"
            ? [{ path: DATABASE_CA_PATH, withSecrets: (secret: SecretLookup) => secret("databaseCaPem") }]
            : [];
    return {
        files: [{ path: APP_PASSWORD_PATH, withSecrets: (secret) => secret("appPassword") }, ...ca],
        env,
        // curl (from the shared base image), not a node process per check.
        healthcheck: httpCheck(`http://127.0.0.1:${PORTS.app}/healthz`),
    };
}
