"""Credentials the emulator accepts.

The secret values carry an ``emu-secret-`` prefix so that tests can search logs and output for
them and prove the connector never prints a secret.
"""

from __future__ import annotations

APP_ID = "7300000000000000042"
APP_SECRET = "emu-secret-app-3b9f1c7d2e"

ACCESS_TOKEN = "emu-secret-token-full-8a41e6"
LIMITED_TOKEN = "emu-secret-token-limited-52c0d9"
NO_ADVERTISERS_TOKEN = "emu-secret-token-empty-77f2ab"
REVOKED_TOKEN = "emu-secret-token-revoked-0e19c4"

ALL_SECRETS = (APP_SECRET, ACCESS_TOKEN, LIMITED_TOKEN, NO_ADVERTISERS_TOKEN, REVOKED_TOKEN)
