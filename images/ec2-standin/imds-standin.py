#!/usr/bin/python3
# The EC2 stand-in's instance metadata service (IMDSv2 only, as the stacks' instances are set up:
# httpTokens required): PUT /latest/api/token hands out a session token, and every GET must carry
# it. It serves the files under /var/lib/foobar-imds-standin (the path is the URL's: latest/meta-data/
# instance-id, ...; a directory answers with its listing, as IMDS does; network/interfaces/macs/
# holds one directory per interface name, answered under that interface's MAC), which the test harness
# (test/live/imdsStandin.ts) puts in before the instance starts. It listens on 169.254.169.254:80,
# in a network namespace of its own inside the instance (imds-standin-net): only this instance
# reaches it, as only an instance reaches its own IMDS. Every request is logged (the unit's journal).
import http.server
import os
import secrets
import sys
import time

ROOT = "/var/lib/foobar-imds-standin"
TOKEN_TTL_MAX = 21600
tokens = {}


def interface_macs():
    """MAC -> interface name, for the instance's interfaces (imds-standin-net wrote them down)."""
    found = {}
    with open("/run/foobar-imds-standin/macs") as f:
        for line in f:
            mac, _, name = line.strip().partition(" ")
            found[mac] = name
    return found


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "EC2ws"
    sys_version = ""

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self.reply(404)
        try:
            ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
        except ValueError:
            return self.reply(400)
        if not 1 <= ttl <= TOKEN_TTL_MAX:
            return self.reply(400)
        token = secrets.token_urlsafe(32)
        tokens[token] = time.monotonic() + ttl
        self.reply(200, token.encode(), [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])

    def do_GET(self):
        token = self.headers.get("X-aws-ec2-metadata-token", "")
        if tokens.get(token, 0) < time.monotonic():
            return self.reply(401)
        rel = os.path.normpath(self.path.split("?", 1)[0]).lstrip("/")
        # The harness cannot know the MAC Docker gives: the tree names interfaces (macs/eth0/...),
        # and here each is its MAC, as the kernel has it (EC2 names an interface by its MAC).
        macs = interface_macs()
        parts = rel.split("/")
        if len(parts) > 5 and parts[:5] == ["latest", "meta-data", "network", "interfaces", "macs"]:
            parts[5] = macs.get(parts[5], "-")
        if parts == ["latest", "meta-data", "mac"]:
            return self.reply(200, {v: k for k, v in macs.items()}.get("eth0", "").encode())
        full = os.path.join(ROOT, *parts)
        if rel.startswith("..") or not os.path.exists(full):
            return self.reply(404)
        if os.path.isdir(full):
            names = sorted(n + ("/" if os.path.isdir(os.path.join(full, n)) else "") for n in os.listdir(full))
            if parts[-1] == "macs":
                by_name = {v: k for k, v in macs.items()}
                names = [by_name.get(n.rstrip("/"), n.rstrip("/")) + "/" for n in names]
            return self.reply(200, "\n".join(names).encode())
        with open(full, "rb") as f:
            self.reply(200, f.read().rstrip(b"\n"))

    def log_message(self, fmt, *args):
        sys.stdout.write("imds-standin: %s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("169.254.169.254", 80), Handler).serve_forever()
