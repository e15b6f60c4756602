#!/usr/bin/env bash
# with-chromium.sh CMD...: run CMD with TEST_CHROMIUM naming a Chromium binary for the browser tests.
#
# - TEST_CHROMIUM already set to an executable: CMD runs with it, nothing else happens.
# - Otherwise Debian's /usr/bin/chromium is used; when it is missing and we are root, `chromium` is
#   installed from Debian's packages (non-interactive, quiet, no recommends; about 25 s).
# - The browser tests were verified with Debian's package at VERIFIED below (the README says so too).
#   As root, that version is installed when the archive still has it and another is there; Debian's
#   security archive keeps only its newest build, so when VERIFIED is gone the newest one is used and
#   a loud line says that the browser tests now run on a version nobody has verified. Either way the
#   version in use is printed.
# - When Chromium cannot be had (not root and not installed, no apt-get, or the install failed),
#   CMD still runs, a loud line says the browser tests are skipped and why, and TEST_BROWSER_SKIPPED
#   carries the reason to pytest (tests/browser/conftest.py skips each browser test with it).
# Never runs `playwright install` (no download of Playwright's own browsers): Playwright drives this
# Chromium through `executable_path`.
# Works with no stdin (CI=true): nothing here asks a question.
set -uo pipefail

if [[ $# -eq 0 ]]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

NAME=with-chromium WHAT="browser tests" SKIP_VAR=TEST_BROWSER_SKIPPED
# shellcheck source=scripts/testdeps.sh
source "$(dirname "$0")/testdeps.sh"
before_skip() { unset TEST_CHROMIUM; }

VERIFIED=156.0.8078.114-1~deb12u1

if [[ -n "${TEST_CHROMIUM:-}" ]]; then
    if [[ -x "$TEST_CHROMIUM" ]]; then
        say "TEST_CHROMIUM is set: using $TEST_CHROMIUM"
        exec "$@"
    fi
    skip "TEST_CHROMIUM=$TEST_CHROMIUM is not an executable file" "$@"
fi

installed() { dpkg-query -W -f '${Version}' chromium 2>/dev/null; }
available() {  # is VERIFIED in the package lists (refreshed once when it is not)?
    apt-cache madison chromium 2>/dev/null | awk '{print $3}' | grep -qxF "$VERIFIED" && return 0
    apt-get "${apt_opts[@]}" update </dev/null >/dev/null 2>&1
    apt-cache madison chromium 2>/dev/null | awk '{print $3}' | grep -qxF "$VERIFIED"
}

CHROMIUM=/usr/bin/chromium
if [[ -x "$CHROMIUM" && $(id -u) -eq 0 && "$(installed)" != "$VERIFIED" ]] && command -v apt-get >/dev/null; then
    if available; then
        say "chromium $(installed) is installed; installing the verified $VERIFIED..."
        apt-get "${apt_opts[@]}" install --no-install-recommends --allow-downgrades \
            "chromium=$VERIFIED" "chromium-common=$VERIFIED" </dev/null >/dev/null 2>&1 \
            || say "could not install chromium $VERIFIED: keeping $(installed)"
    fi
fi
if [[ ! -x "$CHROMIUM" ]]; then
    if [[ $(id -u) -ne 0 ]]; then
        skip "no $CHROMIUM and not root, so it cannot be installed (apt-get install chromium)" "$@"
    fi
    if ! command -v apt-get >/dev/null; then
        skip "no $CHROMIUM and no apt-get to install it" "$@"
    fi
    say "installing chromium from Debian's packages (apt-get)..."
    started=$(now)
    install() {
        if available; then
            apt-get "${apt_opts[@]}" install --no-install-recommends "chromium=$VERIFIED" "chromium-common=$VERIFIED"
        else
            apt-get "${apt_opts[@]}" install --no-install-recommends chromium
        fi
    }
    logged install || skip "apt-get install chromium failed (its last lines above)" "$@"
    [[ -x "$CHROMIUM" ]] || skip "chromium installed but no $CHROMIUM" "$@"
    say "installed chromium in $(elapsed "$started") s"
fi

# The Debian launcher is a shell script; ask the browser itself, which also proves it starts.
if ! version=$("$CHROMIUM" --headless=new --no-sandbox --disable-gpu --version 2>/dev/null); then
    skip "$CHROMIUM does not run (\`$CHROMIUM --version\` failed)" "$@"
fi
say "${version:-chromium} at $CHROMIUM, Debian package $(installed || echo '(not from a package)')"
if [[ "$(installed)" != "$VERIFIED" ]]; then
    echo "" >&2
    echo "!!!!! with-chromium: the browser tests were verified with chromium $VERIFIED; this is $(installed || echo "$version") !!!!!" >&2
    echo "" >&2
fi
export TEST_CHROMIUM="$CHROMIUM"
exec "$@"
