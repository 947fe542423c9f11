#!/usr/bin/env bash
# `npm run up [-- PULUMI_UP_ARGS...]`: deploy the `dev` stack of foobar-infra to
# the local Docker engine with the Pulumi CLI and a LOCAL state backend
# (default: file://$PWD/.pulumi, override with PULUMI_BACKEND_URL).
#
# Secrets in the stack are encrypted with the passphrase in
# PULUMI_CONFIG_PASSPHRASE (or the file named by PULUMI_CONFIG_PASSPHRASE_FILE).
# If neither is set, an EMPTY passphrase is used: that is for local development
# only; set a real passphrase for anything you care about.
#
# Extra arguments go to `pulumi up`, e.g. `npm run up -- --yes`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'up: ERROR: %s\n' "$*" >&2; exit 1; }

command -v pulumi >/dev/null 2>&1 ||
    die "the Pulumi CLI is not installed (see https://www.pulumi.com/docs/install/, e.g. 'curl -fsSL https://get.pulumi.com | sh')"
command -v docker >/dev/null 2>&1 ||
    die "the docker CLI is not installed (e.g. 'apt-get install docker.io')"
docker info >/dev/null 2>&1 ||
    die "the Docker engine does not answer ('docker info' failed): start dockerd, or check DOCKER_HOST / your permissions on the docker socket"
[ -d node_modules ] || die "node_modules is missing: run 'npm ci' first"

bash scripts/ensure-base-image.sh

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi}"
case "$PULUMI_BACKEND_URL" in
    file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;;
esac
if [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    # Empty passphrase by default: LOCAL DEVELOPMENT ONLY.
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
fi
echo "up: state backend: $PULUMI_BACKEND_URL"

pulumi stack select dev 2>/dev/null || pulumi stack init dev --secrets-provider passphrase

pulumi up --stack dev "$@"

url="$(pulumi stack output url --stack dev)"
cat <<EOF2

www.foobar.com (dev) is up at: $url
Its certificate is issued by the stack's own CA; to trust it, e.g. with curl:
  PULUMI_BACKEND_URL='$PULUMI_BACKEND_URL' pulumi stack output caCertificatePem --stack dev > foobar-ca.pem
  curl --cacert foobar-ca.pem $url
Tear down with: npm run down
EOF2
