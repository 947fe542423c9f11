#!/usr/bin/python3
# foobar-secrets: the aws platform's boot helper. cloud-init installs it at
# /usr/local/sbin/foobar-secrets and runs it once from runcmd, as root, after `packages:` and the
# deferred write_files. Database passwords and the TLS private key never travel in user data
# (anyone who may describe the instance can read it): the config files there hold
# @@FOOBAR_SECRET:<key>@@ placeholders, and this helper fetches the listed SSM parameters
# (SecureString, decrypted) through the instance role and writes the values in.
#
# /etc/foobar/secrets.json: {"region": "eu-west-1", "parameters": {"<key>": "<parameter name>"},
#   "files": [{"path": "/etc/...", "owner": "mysql", "group": "mysql", "mode": "0400"}, ...]}
#
# THE SEAM (README, "Boot rehearsal seam"): if /etc/foobar/ssm-endpoint (for S3:
# /etc/foobar/s3-endpoint) exists, its trimmed content is that service's endpoint URL (the live
# tests' stand-in; fake credentials in /root/.aws). On EC2 neither exists: botocore uses the
# regional endpoints and the instance role's credentials from IMDSv2. Nothing else differs.
#
# Every file is checked before anything is fetched, and rendered before anything is written:
# a bad placeholder or a missing parameter leaves every file as it was. Errors go to stderr
# with exit status 1; no secret value is ever printed.
#
# `foobar-secrets --ready /etc/foobar/ready.json` (web servers, last in runcmd): once every health
# check passes, writes this instance's id (cloud-init's, read from IMDSv2 on EC2) to the readiness
# parameter, which Pulumi waits for before the next web server (components/platforms/aws/readiness.ts).
#
# `foobar-secrets --artifact /etc/foobar/artifact.json` (web servers, before the app starts; the
# servers with Prometheus, before it starts): fetches a bundle (the app's, or Prometheus's alert
# rules), {"files": [{"path", "mode", "content"}]}, from the stack's bucket through the
# instance role (components/platforms/aws/artifacts.ts), checks its SHA-256 against the one the user
# data names, and writes its files, owned by root, under the config's roots and nowhere else.
# Nothing is written unless the whole bundle checks out; failing, it exits 1 naming the object.
#
# /etc/foobar/artifact.json: {"region": "eu-west-1", "bucket": "...", "key": "app/<sha256>.json",
#   "sha256": "<hex>", "roots": ["/opt/foobar-app/dist", "/srv/foobar/static"]}
import grp
import hashlib
import json
import os
import pwd
import re
import subprocess
import sys
import tempfile
import time

MANIFEST = "/etc/foobar/secrets.json"
ENDPOINT_FILES = {"ssm": "/etc/foobar/ssm-endpoint", "s3": "/etc/foobar/s3-endpoint"}
INSTANCE_ID_FILE = "/var/lib/cloud/data/instance-id"
ARTIFACT_ATTEMPTS = 4
ARTIFACT_RETRY_SECONDS = 5
KEY = r"[A-Za-z0-9_.-]+"
PLACEHOLDER = re.compile(r"@@FOOBAR_SECRET:(" + KEY + r")@@")


class Failure(Exception):
    pass


def load_manifest(path):
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        raise Failure("cannot read manifest %s: %s" % (path, e))
    if not (isinstance(m, dict) and isinstance(m.get("region"), str) and m["region"]
            and isinstance(m.get("parameters"), dict) and isinstance(m.get("files"), list)):
        raise Failure("manifest %s needs a region, a parameters object and a files list" % path)
    for key, name in m["parameters"].items():
        if not re.fullmatch(KEY, key) or not isinstance(name, str) or not name:
            raise Failure("manifest %s: bad parameter entry %r" % (path, key))
    for f in m["files"]:
        if not (isinstance(f, dict) and all(isinstance(f.get(k), str) for k in ("path", "owner", "group", "mode"))
                and os.path.isabs(f["path"]) and re.fullmatch(r"0?[0-7]{3,4}", f["mode"])):
            raise Failure("manifest %s: bad file entry %r (needs absolute path, owner, group, octal mode)" % (path, f))
    return m


def endpoint(service):
    path = ENDPOINT_FILES[service]
    if not os.path.exists(path):
        return None  # EC2: the regional endpoint
    with open(path, encoding="utf-8") as f:
        url = f.read().strip()
    if not url:
        raise Failure("%s exists but is empty" % path)
    return url


def aws_client(service, region):
    import botocore.session
    return botocore.session.get_session().create_client(service, region_name=region, endpoint_url=endpoint(service))


def fetch(region, parameters):
    from botocore.exceptions import BotoCoreError, ClientError
    client = aws_client("ssm", region)
    values = {}
    for key, name in sorted(parameters.items()):
        try:
            values[key] = client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
        except ClientError as e:  # only the error code: a message could quote the request
            raise Failure("cannot get SSM parameter %s (key %s): %s" % (name, key, e.response.get("Error", {}).get("Code")))
        except BotoCoreError as e:  # no credentials, endpoint unreachable, ...
            raise Failure("cannot get SSM parameter %s (key %s): %s" % (name, key, e))
    return values


def write_atomically(path, text, uid, gid, mode):
    # The temp file gets its owner and mode before any secret is in it, and replaces the
    # original in one rename (same directory, same filesystem).
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
    try:
        os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main():
    m = load_manifest(MANIFEST)
    plans = []
    for f in m["files"]:
        with open(f["path"], encoding="utf-8", newline="") as fh:  # line ends as they are
            text = fh.read()
        try:
            uid, gid = pwd.getpwnam(f["owner"]).pw_uid, grp.getgrnam(f["group"]).gr_gid
        except KeyError:
            raise Failure("%s: no user %s or no group %s on this machine" % (f["path"], f["owner"], f["group"]))
        keys = PLACEHOLDER.findall(text)
        if len(keys) != text.count("@@FOOBAR_SECRET:"):
            raise Failure("%s: malformed placeholder (want @@FOOBAR_SECRET:<key>@@, key %s)" % (f["path"], KEY))
        unknown = sorted(set(keys) - set(m["parameters"]))
        if unknown:
            raise Failure("%s: placeholder key(s) not in the manifest's parameters: %s" % (f["path"], ", ".join(unknown)))
        plans.append((f, text, uid, gid))
    values = fetch(m["region"], m["parameters"])
    rendered = [(f, PLACEHOLDER.sub(lambda mt: values[mt.group(1)], text), uid, gid) for f, text, uid, gid in plans]
    for f, text, uid, gid in rendered:
        write_atomically(f["path"], text, uid, gid, int(f["mode"], 8))
    print("foobar-secrets: %d parameter(s) into %d file(s)" % (len(values), len(rendered)))


def ready(path):
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    deadline = time.monotonic() + c["timeoutSeconds"]
    while True:
        failing = []
        for argv in c["checks"]:
            try:
                if subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10).returncode != 0:
                    failing.append(" ".join(argv))
            except (OSError, subprocess.TimeoutExpired):
                failing.append(" ".join(argv))
        if not failing:
            break
        if time.monotonic() > deadline:
            raise Failure("not ready after %d s, failing: %s" % (c["timeoutSeconds"], "; ".join(failing)))
        time.sleep(2)
    with open(INSTANCE_ID_FILE, encoding="utf-8") as f:
        instance_id = f.read().strip()
    from botocore.exceptions import BotoCoreError, ClientError
    try:
        aws_client("ssm", c["region"]).put_parameter(Name=c["parameter"], Value=instance_id, Type="String", Overwrite=True)
    except (BotoCoreError, ClientError) as e:
        raise Failure("cannot put SSM parameter %s: %s" % (c["parameter"], getattr(e, "response", {}).get("Error", {}).get("Code", e)))
    print("foobar-secrets: ready: %d check(s) pass; %s in %s" % (len(c["checks"]), instance_id, c["parameter"]))


def get_object(c, where):
    from botocore.exceptions import BotoCoreError, ClientError
    for attempt in range(ARTIFACT_ATTEMPTS):  # a role policy just made may take seconds to apply
        try:
            return aws_client("s3", c["region"]).get_object(Bucket=c["bucket"], Key=c["key"])["Body"].read()
        except ClientError as e:
            error = e.response.get("Error", {}).get("Code")
        except BotoCoreError as e:  # no credentials, endpoint unreachable, ...
            error = e
        print("foobar-secrets: cannot get %s (%s), attempt %d of %d" % (where, error, attempt + 1, ARTIFACT_ATTEMPTS), file=sys.stderr)
        if attempt + 1 < ARTIFACT_ATTEMPTS:
            time.sleep(ARTIFACT_RETRY_SECONDS)
    raise Failure("cannot get the bundle %s: %s" % (where, error))


def artifact(path):
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    if not (isinstance(c, dict) and all(isinstance(c.get(k), str) and c[k] for k in ("region", "bucket", "key"))
            and re.fullmatch(r"[0-9a-f]{64}", str(c.get("sha256"))) and isinstance(c.get("roots"), list)
            and c["roots"] and all(isinstance(r, str) and os.path.isabs(r) for r in c["roots"])):
        raise Failure("%s needs a region, bucket, key, a hex sha256 and a list of absolute roots" % path)
    where = "s3://%s/%s" % (c["bucket"], c["key"])
    body = get_object(c, where)
    digest = hashlib.sha256(body).hexdigest()
    if digest != c["sha256"]:
        raise Failure("the bundle %s has sha256 %s, not %s as the user data says" % (where, digest, c["sha256"]))
    try:
        files = json.loads(body.decode("utf-8"))["files"]
        if not isinstance(files, list):
            raise TypeError("files is a %s" % type(files).__name__)
    except (ValueError, KeyError, TypeError) as e:
        raise Failure("the bundle %s is no file list: %s" % (where, e))
    roots = tuple(r.rstrip("/") + "/" for r in c["roots"])
    for f in files:
        if not (isinstance(f, dict) and all(isinstance(f.get(k), str) for k in ("path", "mode", "content"))
                and os.path.normpath(f["path"]) == f["path"] and f["path"].startswith(roots)
                and re.fullmatch(r"0?[0-7]{3,4}", f["mode"])):
            raise Failure("the bundle %s: bad file entry %r (needs a path under %s, an octal mode, content)"
                          % (where, f.get("path") if isinstance(f, dict) else f, ", ".join(c["roots"])))
    for f in files:
        os.makedirs(os.path.dirname(f["path"]), mode=0o755, exist_ok=True)
        write_atomically(f["path"], f["content"], 0, 0, int(f["mode"], 8))
    print("foobar-secrets: bundle %s, sha256 verified: %d file(s) under %s" % (where, len(files), ", ".join(c["roots"])))


if __name__ == "__main__":
    try:
        if sys.argv[1:2] == ["--ready"] and len(sys.argv) == 3:
            ready(sys.argv[2])
        elif sys.argv[1:2] == ["--artifact"] and len(sys.argv) == 3:
            artifact(sys.argv[2])
        else:
            main()
    except (Failure, OSError, ValueError, KeyError) as e:  # an OSError names its file
        print("foobar-secrets: error: %s" % e, file=sys.stderr)
        sys.exit(1)
