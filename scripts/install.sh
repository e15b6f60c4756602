#!/usr/bin/env bash
# install.sh [PYTHON]: make .venv hold exactly what requirements-lock.txt names, and this project, editable.
#
# 1. `PYTHON -m venv .venv` when there is none (PYTHON: python3 by default; 3.11 or newer).
# 2. uv, at the version and hashes the lock gives it, installed by the venv's pip (--require-hashes).
# 3. `uv pip sync` of the whole lock: every package at its locked version, each file checked against its
#    locked hashes, and whatever the lock does not name removed, so two installs are the same install.
# 4. This project, editable, with no dependency resolution and no build isolation (its build backend,
#    setuptools, is in the lock too): nothing is fetched that the lock does not pin.
# The lock is refreshed deliberately, by `make lock` (scripts/lock.sh), never by an install.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${1:-python3}
VENV=.venv
LOCK=requirements-lock.txt

say() { echo "install: $*" >&2; }

if [[ ! -x "$VENV/bin/python" ]]; then
    "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { say "$PYTHON is $("$PYTHON" --version 2>&1); LLM TCO needs Python 3.11 or newer"; exit 1; }
    "$PYTHON" -m venv "$VENV"
fi

# The lock's own entry for uv (its name==version line and its --hash lines), so pip installs that file.
uv_entry=$(mktemp)
trap 'rm -f "$uv_entry"' EXIT
awk '/^uv==/ { on = 1 } on { print; if ($0 !~ /\\$/) exit }' "$LOCK" >"$uv_entry"
[[ -s "$uv_entry" ]] || { say "$LOCK names no uv==VERSION: run make lock"; exit 1; }
wanted=$(sed -n 's/^uv==\([^ ;]*\).*/\1/p' "$uv_entry")
if [[ "$("$VENV/bin/uv" --version 2>/dev/null | awk '{print $2}')" != "$wanted" ]]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$uv_entry"
fi

export UV_PYTHON_DOWNLOADS=never VIRTUAL_ENV="$PWD/$VENV"
"$VENV/bin/uv" pip sync --quiet --python "$VENV/bin/python" --require-hashes "$LOCK"
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" --no-deps --no-build-isolation -e .
say "$VENV holds $LOCK exactly ($(grep -c '^[a-z0-9].*==' "$LOCK") packages) and llm-tco, editable"
