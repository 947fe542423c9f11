# shellcheck shell=bash
# Sourced by scripts/up.sh, down.sh and preview.sh, from the repository root: what they share.
# Messages start with the sourcing script's name ("up: ERROR: ...").
#
# The Pulumi CLI is the one package.json pins: the npm package `pulumi`, whose
# node_modules/.bin/pulumi is a wrapper that fetches the CLI of its own version from
# get.pulumi.com on first use into $PULUMI_HOME/versions/<version>/bin (PULUMI_HOME defaults to
# ~/.pulumi), then runs it; when that fails it prints `pulumi: <error>` and exits 1. So a fresh
# machine needs no Pulumi install. Offline, a `pulumi` installed on PATH is used instead, with a
# warning (its version may differ); with neither, one error says what is missing and how to fix it.
#
# FOOBAR_PULUMI_NPM_BIN names the wrapper to use instead of node_modules/.bin/pulumi: a seam for
# test/unit/pulumiCli.test.ts, which points it at fakes.

me="$(basename "$0" .sh)"

die() { printf '%s: ERROR: %s\n' "$me" "$*" >&2; exit 1; }
warn() { printf '%s: WARNING: %s\n' "$me" "$*" >&2; }

pulumi_cli=""
# Every `pulumi` in the sourcing script runs the CLI that resolve_pulumi_cli chose.
pulumi() { "$pulumi_cli" "$@"; }

# The `pulumi` of PATH that is a real CLI: not the npm wrapper (`npm run` puts node_modules/.bin
# first on PATH, a parent directory's too) nor another copy of it (a global `npm i -g pulumi`).
installed_pulumi() {
    local wrapper="$1" candidate real
    while IFS= read -r candidate; do
        real="$(realpath "$candidate" 2>/dev/null || printf '%s' "$candidate")"
        case "$real" in
            "$wrapper" | */node_modules/pulumi/run.js) ;;
            *) printf '%s\n' "$candidate"; return 0 ;;
        esac
    done < <(type -aP pulumi)
    return 1
}

# Sets the CLI `pulumi` runs, fetching it first if needed, or dies.
resolve_pulumi_cli() {
    local npm_bin="${FOOBAR_PULUMI_NPM_BIN:-node_modules/.bin/pulumi}"
    [ -x "$npm_bin" ] || die "$npm_bin is missing: run 'npm ci' first"
    local version cache output line why="" last="" fallback found
    version="$(node -p 'require("./node_modules/pulumi/package.json").version')" ||
        die "cannot read the version of the npm package pulumi (node_modules/pulumi/package.json): run 'npm ci' first"
    # The wrapper's own override of its version, honoured as the wrapper does.
    version="${PULUMI_VERSION:-$version}"
    cache="${PULUMI_HOME:-$HOME/.pulumi}/versions/$version/bin/pulumi"
    [ -x "$cache" ] ||
        printf '%s: fetching the Pulumi CLI v%s from get.pulumi.com into %s (first use)\n' "$me" "$version" "${cache%/bin/pulumi}" >&2

    # `version` makes the wrapper fetch the CLI (or find it cached) and run it once, so that a
    # failure here is the fetch's, not that of a later `pulumi up`. Only its stderr is kept.
    if output="$("$npm_bin" version 2>&1 >/dev/null)"; then
        pulumi_cli="$npm_bin"
        return 0
    fi
    # The wrapper's own error line, `pulumi: <error>` (else its last line).
    while IFS= read -r line; do
        case "$line" in
            "pulumi: "*) why="$line" ;;
            *[![:space:]]*) last="$line" ;;
        esac
    done <<<"$output"
    why="${why:-${last:-$npm_bin failed and said nothing}}"

    if fallback="$(installed_pulumi "$(realpath "$npm_bin")")"; then
        found="$("$fallback" version 2>/dev/null)" || found="unknown version"
        if [ "$found" = "v$version" ]; then
            found="v$version, the same version"
        else
            found="$found, a version mismatch: package.json pins v$version"
        fi
        warn "the download of the Pulumi CLI v$version failed ($why); using $fallback from PATH instead ($found)"
        pulumi_cli="$fallback"
        return 0
    fi

    die "the Pulumi CLI v$version is missing. It comes with the npm package pulumi ($npm_bin), which fetches it from https://get.pulumi.com on first use and caches it as $cache; that download failed:
    $why
and no other pulumi is on PATH. Fix one of:
  - give this machine network access to get.pulumi.com (HTTPS), then run this again;
  - install the Pulumi CLI yourself (https://www.pulumi.com/docs/install/) and put it on PATH;
  - set PULUMI_HOME to a directory holding versions/$version/bin/pulumi (e.g. a copy of ~/.pulumi from a machine that has it)."
}

# The dev stack's state: a LOCAL backend (default file://$PWD/.pulumi, override with
# PULUMI_BACKEND_URL), secrets encrypted with PULUMI_CONFIG_PASSPHRASE (or the file named by
# PULUMI_CONFIG_PASSPHRASE_FILE), an EMPTY passphrase if neither is set: local development only.
use_local_backend() {
    export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi}"
    case "$PULUMI_BACKEND_URL" in
        file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;;
    esac
    if [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
        # Empty passphrase by default: LOCAL DEVELOPMENT ONLY.
        export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-}"
    fi
    echo "$me: state backend: $PULUMI_BACKEND_URL"
}

# The docker provider talks to the engine whenever it runs, in a preview too.
require_docker_engine() {
    command -v docker >/dev/null 2>&1 ||
        die "the docker CLI is not installed (e.g. 'apt-get install docker.io')"
    docker info >/dev/null 2>&1 ||
        die "the Docker engine does not answer ('docker info' failed): start dockerd, or check DOCKER_HOST / your permissions on the docker socket"
}
