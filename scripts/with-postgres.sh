#!/usr/bin/env bash
# with-postgres.sh CMD...: run CMD with TEST_POSTGRES_URL pointing at a throwaway PostgreSQL.
#
# - TEST_POSTGRES_URL already set: CMD runs against that server, nothing else happens.
# - Otherwise the Debian binaries (/usr/lib/postgresql/*/bin) are used; when they are missing and we
#   are root, `postgresql` is installed from Debian's packages (non-interactive, quiet).
# - A cluster is made in a temp dir, started on 127.0.0.1 (a free port, its unix socket in the temp
#   dir, fsync off), database llm_tco_test is created, CMD runs, and on exit the server is stopped
#   and the dir deleted.
# - When PostgreSQL cannot be had (not root and not installed, or the install or start failed),
#   CMD still runs without TEST_POSTGRES_URL, and a loud line says the PostgreSQL tests are
#   skipped and why; TEST_POSTGRES_SKIPPED carries the reason to pytest.
# Works with no stdin (CI=true): nothing here asks a question.
set -uo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

NAME=with-postgres WHAT="PostgreSQL tests" SKIP_VAR=TEST_POSTGRES_SKIPPED
# shellcheck source=scripts/testdeps.sh
source "$(dirname "$0")/testdeps.sh"

if [[ -n "${TEST_POSTGRES_URL:-}" ]]; then
    say "TEST_POSTGRES_URL is set: using that server"
    exec "$@"
fi

TMP=""
cleanup() {
    [[ -n "$TMP" ]] || return 0
    if [[ -f "$TMP/data/postmaster.pid" ]]; then
        (cd "$TMP" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1) || true
    fi
    rm -rf "$TMP"
    TMP=""
}

before_skip() {
    cleanup
    trap - EXIT
}

find_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]] && echo "$dir"
}

AS=()
PGBIN=$(find_bin)
if [[ -z "$PGBIN" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        skip "no PostgreSQL in /usr/lib/postgresql and not root, so it cannot be installed (apt-get install postgresql)" "$@"
    fi
    if ! command -v apt-get >/dev/null; then
        skip "no PostgreSQL in /usr/lib/postgresql and no apt-get to install it" "$@"
    fi
    say "installing postgresql from Debian's packages (apt-get)..."
    started=$(now)
    install() { apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" install --no-install-recommends postgresql; }
    logged install || skip "apt-get install postgresql failed (its last lines above)" "$@"
    say "installed postgresql in $(elapsed "$started") s"
    PGBIN=$(find_bin)
    [[ -n "$PGBIN" ]] || skip "postgresql installed but no binaries in /usr/lib/postgresql/*/bin" "$@"
fi

started=$(now)

# initdb and postgres refuse to run as root: as root, run them as the `postgres` user (made by the
# Debian package) or, failing that, as a dedicated system user.
if [[ $(id -u) -eq 0 ]]; then
    RUN_USER=postgres
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        RUN_USER=llm-tco-pg
        id -u "$RUN_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_USER"
    fi
    AS=(setpriv --reuid="$RUN_USER" --regid="$(id -g "$RUN_USER")" --init-groups --)
fi

# In /tmp: the server's user must reach it, and a unix socket path has at most 107 bytes.
TMP=$(mktemp -d /tmp/llm-tco-pg.XXXXXX)
[[ ${#AS[@]} -gt 0 ]] && chown "$RUN_USER" "$TMP"
chmod 700 "$TMP"
DATA="$TMP/data"

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg() { (cd "$TMP" && "${AS[@]}" "$@"); }

PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$PASSWORD" >"$TMP/pwfile"
[[ ${#AS[@]} -gt 0 ]] && chown "$RUN_USER" "$TMP/pwfile"

if ! pg "$PGBIN/initdb" -D "$DATA" -U postgres --pwfile="$TMP/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --no-locale --no-sync >"$TMP/initdb.log" 2>&1; then
    cat "$TMP/initdb.log" >&2
    skip "initdb failed (log above)" "$@"
fi
rm -f "$TMP/pwfile"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

PORT=""
for _ in 1 2 3; do
    candidate=$(free_port)
    opts="-c listen_addresses=127.0.0.1 -p $candidate -k $TMP -c fsync=off -c synchronous_commit=off"
    opts+=" -c full_page_writes=off -c max_connections=50"
    if pg "$PGBIN/pg_ctl" -D "$DATA" -l "$TMP/server.log" -o "$opts" -w -t 60 start >/dev/null 2>&1; then
        PORT=$candidate
        break
    fi
done
if [[ -z "$PORT" ]]; then
    cat "$TMP/server.log" >&2 2>/dev/null
    skip "the PostgreSQL server did not start (log above)" "$@"
fi
if ! pg "$PGBIN/psql" -h "$TMP" -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE DATABASE llm_tco_test" >/dev/null; then
    skip "could not create database llm_tco_test" "$@"
fi

export TEST_POSTGRES_URL="postgresql+psycopg://postgres:$PASSWORD@127.0.0.1:$PORT/llm_tco_test"
say "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') started in $(elapsed "$started") s on 127.0.0.1:$PORT (data in $TMP)"

"$@"
status=$?
exit "$status"
