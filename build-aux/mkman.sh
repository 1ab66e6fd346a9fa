#!/bin/sh
# The manual page of a lift binary, made from its own --help (and, for liftctl, from each
# command's `liftctl help COMMAND`): one source for what the binary says and what the page
# says. Writes troff to stdout.
#
#   build-aux/mkman.sh liftd 8 build/liftd
#   build-aux/mkman.sh liftctl 1 build/liftctl
set -eu
name=$1
section=$2
bin=$3
version=$("$bin" --version | sed -n '1s/^[^ ]* \([^ ]*\).*/\1/p')

# Text as it is: backslashes and leading dots or quotes escaped, minus signs kept ASCII.
text() {
    printf '.nf\n'
    sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"
    printf '.fi\n'
}

upper=$(echo "$name" | tr a-z A-Z)
case $name in
liftd)
    printf '.TH %s %s "" "lift %s" "System Administration"\n' "$upper" "$section" "$version"
    printf '.SH NAME\nliftd \\- lift'"'"'s assignment and ingestion server\n'
    printf '.SH SYNOPSIS AND OPTIONS\n'
    "$bin" --help | text
    printf '.SH SEE ALSO\n.BR liftctl (1),\n.BR systemd.service (5);\n'
    printf 'docs/operations.md and docs/api.md of the lift sources (installed in share/doc/lift)\n'
    ;;
liftctl)
    printf '.TH %s %s "" "lift %s" "User Commands"\n' "$upper" "$section" "$version"
    printf '.SH NAME\nliftctl \\- lift'"'"'s command line: database, experiment config, reports, data\n'
    printf '.SH SYNOPSIS AND DESCRIPTION\n'
    "$bin" --help | text
    printf '.SH COMMANDS\n'
    for cmd in $("$bin" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z]*\) .*/\1/p'); do
        printf '.SS %s\n' "$cmd"
        "$bin" help "$cmd" | text
    done
    printf '.SH SEE ALSO\n.BR liftd (8);\n'
    printf 'docs/sql-config.md, docs/operations.md and docs/statistics.md of the lift sources\n'
    printf '(installed in share/doc/lift)\n'
    ;;
*)
    echo "mkman.sh: no page for $name" >&2
    exit 2
    ;;
esac
