"""No copy of the config, secrets included, is left on disk: the source writes none for a read, and
the demo keeps a masked one in its output."""

from __future__ import annotations

import importlib.util
import json
import stat
from pathlib import Path
from types import ModuleType

import pytest

from source_tiktok_ads.source import SourceTiktokAds

from .conftest import APP_SECRET, TOKEN, raw_config

DEMO = Path(__file__).resolve().parent.parent / "scripts" / "demo.py"


@pytest.fixture(scope="module")
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_configuring_a_read_writes_nothing(tmp_path: Path) -> None:
    config = raw_config()
    assert SourceTiktokAds().configure(config, str(tmp_path)) == config
    assert list(tmp_path.iterdir()) == []


def test_the_demo_output_holds_a_masked_config_and_the_real_one_stays_private(
    demo: ModuleType, tmp_path: Path
) -> None:
    output, private = tmp_path / "demo_output", tmp_path / "private"
    output.mkdir()
    private.mkdir()
    config = raw_config()
    real = demo.save_config(config, output, str(private))
    kept = (output / "config.json").read_text()
    assert APP_SECRET not in kept and TOKEN not in kept
    assert json.loads(kept)["credentials"] == {
        **config["credentials"],
        "secret": "****",
        "access_token": "****",
    }
    assert json.loads(real.read_text()) == config
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
