#!/usr/bin/env bash
# `npm run down [-- PULUMI_DESTROY_ARGS...]`: destroy the `dev` stack deployed
# by scripts/up.sh, with the same LOCAL state backend and passphrase settings
# (an empty passphrase is the local-development default, see up.sh).
# Extra arguments go to `pulumi destroy`, e.g. `npm run down -- --yes`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

die() { printf 'down: ERROR: %s\n' "$*" >&2; exit 1; }

command -v pulumi >/dev/null 2>&1 ||
    die "the Pulumi CLI is not installed (see https://www.pulumi.com/docs/install/)"

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi}"
if [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    # Empty passphrase by default: LOCAL DEVELOPMENT ONLY.
    export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
fi
echo "down: state backend: $PULUMI_BACKEND_URL"

pulumi destroy --stack dev "$@"
