#!/usr/bin/env bash
# `npm run up [-- PULUMI_UP_ARGS...]`: deploy the `dev` stack of foobar-infra to
# the local Docker engine with the Pulumi CLI that package.json pins (the npm
# package `pulumi`, fetched on first use: see scripts/pulumi-cli.sh) and a LOCAL
# state backend (default: file://$PWD/.pulumi, override with PULUMI_BACKEND_URL).
#
# Secrets in the stack are encrypted with the passphrase in
# PULUMI_CONFIG_PASSPHRASE (or the file named by PULUMI_CONFIG_PASSPHRASE_FILE).
# If neither is set, an EMPTY passphrase is used: that is for local development
# only; set a real passphrase for anything you care about.
#
# Extra arguments go to `pulumi up`, e.g. `npm run up -- --yes`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Followed by `shellcheck scripts/*.sh` (the file is an input); alone, this one is checked without it.
# shellcheck source=scripts/pulumi-cli.sh disable=SC1091
. scripts/pulumi-cli.sh

[ -d node_modules ] || die "node_modules is missing: run 'npm ci' first"
require_docker_engine
resolve_pulumi_cli

bash scripts/ensure-base-image.sh

use_local_backend

pulumi stack select dev 2>/dev/null || pulumi stack init dev --secrets-provider passphrase

pulumi up --stack dev "$@"

url="$(pulumi stack output url --stack dev)"
cat <<EOF2

www.foobar.com (dev) is up at: $url
Its certificate is issued by the stack's own CA; to trust it, e.g. with curl:
  PULUMI_BACKEND_URL='$PULUMI_BACKEND_URL' npx pulumi stack output caCertificatePem --stack dev > foobar-ca.pem
  curl --cacert foobar-ca.pem $url
Tear down with: npm run down
EOF2
