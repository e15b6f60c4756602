#!/usr/bin/env bash
# with-libreoffice.sh CMD...: run CMD with TEST_SOFFICE naming a LibreOffice binary for the workbook
# recalculation tests (tests/api/test_xlsx_recalc.py: LibreOffice Calc, headless, recalculates the
# XLSX export's formulas).
#
# - TEST_SOFFICE already set to an executable: CMD runs with it, nothing else happens.
# - Otherwise Debian's /usr/bin/soffice (or /usr/bin/libreoffice) is used; when it is missing and we
#   are root, `libreoffice-calc` is installed from Debian's packages (non-interactive, quiet, no
#   recommends) and the time it took is printed. The version in use is printed.
# - When LibreOffice cannot be had (not root and not installed, no apt-get, or the install failed),
#   CMD still runs, a loud line says the LibreOffice tests are skipped and why, and
#   TEST_SOFFICE_SKIPPED carries the reason to pytest (each test in tests/api/test_xlsx_recalc.py
#   skips with it).
# Works with no stdin (CI=true): nothing here asks a question.
set -uo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

NAME=with-libreoffice WHAT="LibreOffice tests" SKIP_VAR=TEST_SOFFICE_SKIPPED
# shellcheck source=scripts/testdeps.sh
source "$(dirname "$0")/testdeps.sh"
before_skip() { unset TEST_SOFFICE; }

if [[ -n "${TEST_SOFFICE:-}" ]]; then
    if [[ -x "$TEST_SOFFICE" ]]; then
        say "TEST_SOFFICE is set: using $TEST_SOFFICE"
        exec "$@"
    fi
    skip "TEST_SOFFICE=$TEST_SOFFICE is not an executable file" "$@"
fi

installed() { dpkg-query -W -f '${Version}' libreoffice-calc 2>/dev/null; }

found() {  # the first LibreOffice launcher there is
    local candidate
    for candidate in /usr/bin/soffice /usr/bin/libreoffice; do
        if [[ -x "$candidate" ]]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! SOFFICE=$(found); then
    if [[ $(id -u) -ne 0 ]]; then
        skip "no /usr/bin/soffice and not root, so it cannot be installed (apt-get install libreoffice-calc)" "$@"
    fi
    if ! command -v apt-get >/dev/null; then
        skip "no /usr/bin/soffice and no apt-get to install it" "$@"
    fi
    say "installing libreoffice-calc from Debian's packages (apt-get)..."
    started=$(now)
    install() {
        apt-get "${apt_opts[@]}" install --no-install-recommends libreoffice-calc \
            || { apt-get "${apt_opts[@]}" update && apt-get "${apt_opts[@]}" install --no-install-recommends libreoffice-calc; }
    }
    logged install || skip "apt-get install libreoffice-calc failed (its last lines above)" "$@"
    SOFFICE=$(found) || skip "libreoffice-calc installed but no /usr/bin/soffice" "$@"
    say "installed libreoffice-calc in $(elapsed "$started") s"
fi

# Ask the program itself, which also proves it starts (a throwaway profile: nothing is left in $HOME).
profile=$(mktemp -d /tmp/llm-tco-soffice.XXXXXX)
version=$(timeout 120 "$SOFFICE" --headless --norestore "-env:UserInstallation=file://$profile" --version </dev/null 2>/dev/null)
status=$?
rm -rf "$profile"
if [[ $status -ne 0 ]]; then
    skip "$SOFFICE does not run (\`$SOFFICE --version\` failed)" "$@"
fi
say "${version:-LibreOffice} at $SOFFICE, Debian package libreoffice-calc $(installed || echo '(not from a package)')"
export TEST_SOFFICE="$SOFFICE"
exec "$@"
