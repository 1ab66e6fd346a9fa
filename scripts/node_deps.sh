#!/bin/sh
# Installs the npm packages the SDK compatibility tests and examples/ use (GrowthBook's and
# OpenFeature's SDKs, the OpenAPI validator) into BUILD/node, with `npm ci` from
# examples/package-lock.json: exact versions, once per lock file (later runs cost a
# checksum). `make test` and `make sanitize` call it; plain `make` never does.
#
#   scripts/node_deps.sh BUILD
set -eu
BUILD=${1:-build}
dest=$BUILD/node
lock=examples/package-lock.json
sum=$(cksum <"$lock")
if [ -d "$dest/node_modules" ] && [ -f "$dest/.lock-sum" ] && [ "$(cat "$dest/.lock-sum")" = "$sum" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "node_deps.sh: npm is missing (scripts/deps.sh test installs it)" >&2
    exit 1
fi
echo "node_deps.sh: npm ci into $dest" >&2
rm -rf "$dest"
mkdir -p "$dest"
cp examples/package.json "$lock" "$dest/"
(cd "$dest" && npm ci --no-audit --no-fund --loglevel=error >&2)
echo "$sum" >"$dest/.lock-sum"
