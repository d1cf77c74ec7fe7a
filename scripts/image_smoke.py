"""Runs the connector image built by scripts/image_test.sh: `spec`, `check` and a small `read`.

Each command runs through the image's own ENTRYPOINT, as the image's own user, with `buildah run` (chroot
isolation, so the container shares the host network and reaches the emulator started here on the host
loopback). The outputs are checked like the standard tests check the process: one SPEC, a SUCCEEDED and
a FAILED connection status, records and a state for every stream read.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "integration_tests"))

from acceptance_env import (  # noqa: E402  (needs the path above)
    INVALID_CONFIG,
    SAMPLE_CONFIG,
    emulator,
    read_json,
)
from tiktok_emulator import credentials  # noqa: E402

READ_STREAMS = ("advertisers", "campaigns", "ads_reports_daily")


def messages(stdout: str) -> list[dict[str, Any]]:
    parsed = []
    for line in stdout.splitlines():
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return parsed


def of_type(output: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [message for message in output if message.get("type") == kind]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True)
    parser.add_argument("--buildah", required=True, help="the buildah command line with its storage flags")
    args = parser.parse_args()
    buildah = shlex.split(args.buildah)

    config = json.loads(
        subprocess.run(
            [*buildah, "inspect", "--type", "image", args.image], check=True, capture_output=True, text=True
        ).stdout
    )["OCIv1"]["config"]
    entrypoint, user = config["Entrypoint"], config.get("User")
    env = dict(item.split("=", 1) for item in config.get("Env", []))
    assert entrypoint == ["source-tiktok-ads"], entrypoint
    assert env.get("AIRBYTE_ENTRYPOINT") == " ".join(entrypoint), env.get("AIRBYTE_ENTRYPOINT")
    assert user == "airbyte", user

    container = subprocess.run(
        [*buildah, "from", "--pull=never", "--quiet", args.image], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="image-smoke-", dir=REPO_ROOT / ".tmp") as io_dir,
            emulator(port=0) as emu,
        ):
            io = Path(io_dir)
            io.chmod(0o755)

            def put(name: str, content: Any) -> str:
                (io / name).write_text(json.dumps(content))
                (io / name).chmod(0o644)
                return f"/secrets/{name}"

            def run(*command: str) -> tuple[int, list[dict[str, Any]], str]:
                completed = subprocess.run(
                    [
                        *buildah,
                        "run",
                        "--isolation",
                        "chroot",
                        "--volume",
                        f"{io}:/secrets:ro",
                        container,
                        "--",
                        *entrypoint,
                        *command,
                    ],
                    capture_output=True,
                    text=True,
                    timeout=300,
                )
                for secret in credentials.ALL_SECRETS:
                    assert secret not in completed.stdout + completed.stderr, (
                        "a secret leaked into the output"
                    )
                return completed.returncode, messages(completed.stdout), completed.stderr

            whoami = subprocess.run(
                [*buildah, "run", "--isolation", "chroot", container, "--", "id", "-u"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
            assert whoami == "1000", f"the image runs as uid {whoami}, not the airbyte user"

            good = {**read_json(SAMPLE_CONFIG), "base_url": emu.base_url}
            bad = {**read_json(INVALID_CONFIG), "base_url": emu.base_url}

            code, output, stderr = run("spec")
            assert code == 0 and len(of_type(output, "SPEC")) == 1, stderr[-2000:]
            print("image_smoke: spec ok")

            code, output, stderr = run("check", "--config", put("config.json", good))
            status = of_type(output, "CONNECTION_STATUS")
            assert code == 0 and status and status[0]["connectionStatus"]["status"] == "SUCCEEDED", (
                output,
                stderr[-2000:],
            )
            code, output, stderr = run("check", "--config", put("invalid_config.json", bad))
            status = of_type(output, "CONNECTION_STATUS")
            assert status and status[0]["connectionStatus"]["status"] == "FAILED", (output, stderr[-2000:])
            print("image_smoke: check ok (valid config SUCCEEDED, revoked token FAILED)")

            code, output, stderr = run("discover", "--config", "/secrets/config.json")
            streams = {
                stream["name"]: stream for stream in of_type(output, "CATALOG")[0]["catalog"]["streams"]
            }
            catalog = {
                "streams": [
                    {
                        "stream": streams[name],
                        "sync_mode": "full_refresh",
                        "destination_sync_mode": "overwrite",
                    }
                    for name in READ_STREAMS
                ]
            }
            code, output, stderr = run(
                "read", "--config", "/secrets/config.json", "--catalog", put("catalog.json", catalog)
            )
            assert code == 0, stderr[-3000:]
            counts = {name: 0 for name in READ_STREAMS}
            for message in of_type(output, "RECORD"):
                counts[message["record"]["stream"]] += 1
            assert all(counts.values()), counts
            assert of_type(output, "STATE"), "the read emitted no state"
            print(f"image_smoke: read ok {counts}")
    finally:
        subprocess.run([*buildah, "rm", container], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
