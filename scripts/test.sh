#!/usr/bin/env bash
# `npm test`: the type check, the linters and the unit tests, side by side (each is one process
# that uses one core, so on a machine with two or more they take about as long as the slowest,
# not the sum). Their outputs are shown whole, one after the other, once all have ended; the exit
# status is non-zero if any of them failed, and says which.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

out="$(mktemp -d "${TMPDIR:-/tmp}/foobar-test.XXXXXX")"
trap 'rm -rf "$out"' EXIT

declare -A pids=()
run() {
    local name="$1"
    shift
    ( SECONDS=0; "$@" >"$out/$name.log" 2>&1; rc=$?; echo "$rc $SECONDS" >"$out/$name.rc"; exit "$rc" ) &
    pids[$name]=$!
}

run typecheck npm run -s typecheck
run lint npm run -s lint
run unit npx mocha

failed=()
for name in "${!pids[@]}"; do
    wait "${pids[$name]}"
done
for name in typecheck lint unit; do
    read -r rc took <"$out/$name.rc"
    printf '\n===== %s (%ss, exit %s)\n' "$name" "$took" "$rc"
    cat "$out/$name.log"
    [ "$rc" -eq 0 ] || failed+=("$name")
done
if [ "${#failed[@]}" -gt 0 ]; then
    printf '\nnpm test: FAILED: %s\n' "${failed[*]}" >&2
    exit 1
fi
printf '\nnpm test: typecheck, lint and unit tests passed\n'
