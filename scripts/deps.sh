#!/bin/sh
# Installs the Debian packages a make target needs (as root), or prints the apt-get line.
#
#   scripts/deps.sh build|test|bench|fuzz|format [check]
#
# With "check" (a plain `make`) it never installs: it names what is missing, prints the
# exact apt-get line and fails. Costs one dpkg-query call when everything is present.
set -eu

build="gcc make pkg-config libpq-dev libmicrohttpd-dev libgsl-dev libjansson-dev \
libcriterion-dev libssl-dev postgresql"
case "${1:-build}" in
build) want="$build" ;;
test) want="$build clang libclang-rt-14-dev chromium fonts-dejavu-core" ;;
bench) want="$build wrk" ;;
fuzz) want="$build clang libclang-rt-14-dev" ;;
format) want="clang-format" ;;
*)
    echo "deps.sh: unknown set '$1' (build, test, bench, fuzz, format)" >&2
    exit 2
    ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: not a Debian system; install these yourself: $want" >&2
    exit 0
fi

# shellcheck disable=SC2086
have=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' $want 2>/dev/null |
    awk '$2 == "ii" { print $1 }')
missing=""
for p in $want; do
    case " $(echo $have) " in
    *" $p "*) ;;
    *) missing="$missing $p" ;;
    esac
done
# Node.js and npm run the SDK compatibility tests and examples/ (`make test`). Checked as
# commands: a Node.js from elsewhere (NodeSource's nodejs bundles npm) is fine too.
if [ "${1:-build}" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
    missing="$missing nodejs npm"
fi
[ -z "$missing" ] && exit 0

if [ "${2:-}" = check ] || [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages:$missing; install them as root with" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends$missing" >&2
    [ "${2:-}" = check ] && echo "or run \`make deps\` (which installs what the tests need too)" >&2
    exit 1
fi
echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
