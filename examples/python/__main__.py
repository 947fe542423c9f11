"""FoobarInfra from Python: the site on the local Docker engine, beside the dev stack."""

import pulumi
import pulumi_foobar as foobar

# The component's arguments, as in stack config (README, "Configuration"), with Python's names:
# snake_case keys, nested settings as dicts. Everything is checked before anything is created.
ARGS = {
    "platform": "docker",
    "web_servers": 2,
    "lb": {"algorithm": "roundrobin", "mode": "active-passive"},
    "monitoring": {"scrape_interval_seconds": 10},
    "docker": {
        # Beside the dev stack (8080, 8443, 9090, 10.77.0.0/16), not on top of it.
        "http_port": 28080,
        "https_port": 28443,
        "prometheus_port": 29090,
        "subnet": "10.79.0.0/16",
    },
}

site = foobar.FoobarInfra("foobar-python", **ARGS)

pulumi.export("url", site.url)
pulumi.export("load_balancer_address", site.load_balancer_address)
pulumi.export("ca_certificate_pem", site.ca_certificate_pem)
pulumi.export("database_writer_endpoint", site.database_writer_endpoint)
pulumi.export("monitoring_url", site.monitoring_url)
pulumi.export("monitoring_password", site.monitoring_password)
