#!/usr/bin/env bash
# `npm run down [-- PULUMI_DESTROY_ARGS...]`: destroy the `dev` stack deployed
# by scripts/up.sh, with the same Pulumi CLI, LOCAL state backend and passphrase
# settings (an empty passphrase is the local-development default, see up.sh).
# Extra arguments go to `pulumi destroy`, e.g. `npm run down -- --yes`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Followed by `shellcheck scripts/*.sh` (the file is an input); alone, this one is checked without it.
# shellcheck source=scripts/pulumi-cli.sh disable=SC1091
. scripts/pulumi-cli.sh

resolve_pulumi_cli
use_local_backend

pulumi destroy --stack dev "$@"
