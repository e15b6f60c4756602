# testdeps.sh: what scripts/with-postgres.sh, with-chromium.sh and with-libreoffice.sh share. Sourced,
# never run. Before sourcing, a script sets NAME (its name, for its messages), WHAT (what its tests
# are, for the skip line) and SKIP_VAR (the variable that carries the skip reason to pytest).
# shellcheck shell=bash

say() { echo "$NAME: $*" >&2; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# skip REASON CMD...: say loudly that the tests are skipped and why, hand the reason to pytest in
# $SKIP_VAR, and run CMD anyway. A script may define `before_skip` (stop a server, unset a variable).
skip() {
    local reason=$1
    shift
    if declare -F before_skip >/dev/null; then before_skip; fi
    echo "" >&2
    echo "!!!!! $NAME: $WHAT SKIPPED: $reason !!!!!" >&2
    echo "" >&2
    export "$SKIP_VAR=$reason"
    exec "$@"
}

export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2034  # used by the scripts that source this
apt_opts=(-q -y -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

# logged CMD...: run CMD with no stdin and its output in a temporary log; on failure print the log's
# last 30 lines. Returns CMD's status.
logged() {
    local log status
    log=$(mktemp /tmp/llm-tco-apt.XXXXXX)
    "$@" </dev/null >"$log" 2>&1
    status=$?
    if [[ $status -ne 0 ]]; then tail -n 30 "$log" >&2; fi
    rm -f "$log"
    return $status
}
