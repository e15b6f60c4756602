#!/usr/bin/env bash
# lock.sh [uv pip compile options...]: refresh requirements-lock.txt from pyproject.toml's ranges.
#
# The lock pins every package `make run` and `make test` install, direct and transitive, at one exact
# version with the hashes of its files, for any platform (--universal) and Python 3.11 or newer: the
# `test` extra and the `tools` dependency group (uv itself, pip and setuptools). pyproject.toml keeps
# its ranges for people who install the package; the lock is what this repository runs and tests.
# By default every package moves to the newest version the ranges allow (--upgrade); pass
# `--upgrade-package NAME` instead (`make lock ARGS="--upgrade-package fastapi"`) to move one alone.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh >/dev/null 2>&1 || true  # a uv to lock with, when the current lock installs
UV=.venv/bin/uv
[[ -x "$UV" ]] || UV=$(command -v uv) || { echo "lock: no .venv/bin/uv and no uv on PATH" >&2; exit 1; }

args=("$@")
[[ ${#args[@]} -gt 0 ]] || args=(--upgrade)
"$UV" pip compile pyproject.toml --extra test --group pyproject.toml:tools \
    --universal --python-version 3.11 --generate-hashes --no-emit-index-url \
    --custom-compile-command "make lock" -o requirements-lock.txt "${args[@]}"
echo "lock: requirements-lock.txt written; \`git diff requirements-lock.txt\` shows what moved, then \`make test\`" >&2
