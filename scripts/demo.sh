#!/usr/bin/env bash
# Runs the connector's whole job: check, discover and a full read of every stream through the real
# `source-tiktok-ads` entry point. Against the bundled TikTok API emulator by default; with
# `--config path/to/config.json` against the real TikTok API.
source "$(dirname "$0")/bootstrap.sh"
"$UV" run --frozen python scripts/demo.py "$@"
