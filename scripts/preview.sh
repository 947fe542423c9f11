#!/usr/bin/env bash
# `npm run preview [-- PULUMI_PREVIEW_ARGS...]`: `pulumi preview --stack dev`,
# what `npm run up` would change, with the same Pulumi CLI, LOCAL state backend
# and passphrase settings as scripts/up.sh (creating the `dev` stack if needed).
# Extra arguments go to `pulumi preview`, e.g. `npm run preview -- --diff`.
#
# A preview builds no image (the images are built by `up`, so the base image is
# not needed here) and changes nothing, but it does need a Docker engine: the
# docker provider connects to it whenever it runs, in a preview too.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# Followed by `shellcheck scripts/*.sh` (the file is an input); alone, this one is checked without it.
# shellcheck source=scripts/pulumi-cli.sh disable=SC1091
. scripts/pulumi-cli.sh

[ -d node_modules ] || die "node_modules is missing: run 'npm ci' first"
require_docker_engine
resolve_pulumi_cli
use_local_backend

pulumi stack select dev 2>/dev/null || pulumi stack init dev --secrets-provider passphrase

pulumi preview --stack dev "$@"
