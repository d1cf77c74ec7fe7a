"""The README's generated blocks (config, streams, ERD) must match the code: a stale README fails here."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from source_tiktok_ads.config import CustomReport, GmvMaxCustomReport
from source_tiktok_ads.reports.custom import validate_custom_reports
from source_tiktok_ads.reports.gmv_max_custom import validate_gmv_max_reports

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_docs.py"


@pytest.fixture(scope="module")
def generator():
    # Loaded once: it caches the discovered streams, which are the slow part.
    spec = importlib.util.spec_from_file_location("gen_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_is_up_to_date_with_the_code() -> None:
    # A separate process, exactly as a developer runs it; the output names the command that fixes it.
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def test_check_mode_catches_a_stale_block_and_leaves_the_file_alone(generator, tmp_path: Path) -> None:
    stale = (ROOT / "README.md").read_text().replace("| `campaigns` |", "| `campaigns_old` |", 1)
    readme = tmp_path / "README.md"
    readme.write_text(stale)
    assert generator.main(["--check", "--readme", str(readme)]) == 1
    assert readme.read_text() == stale
    assert generator.main(["--readme", str(readme)]) == 0
    assert generator.main(["--check", "--readme", str(readme)]) == 0


def test_generated_blocks_reflect_spec_and_discover(generator) -> None:
    config = generator.config_block()
    assert "| `credentials.secret` | string | \u2013 | yes (oauth2.0) | yes |" in config
    assert "`custom_reports[].filters[].filter_value`" in config
    reports = generator.report_streams_block()
    assert "| `ads_audience_reports_by_province_daily` | AUDIENCE | ad | daily | `province_id` |" in reports
    erd = generator.erd_block()
    assert 'ad_groups ||--o{ ads : "adgroup_id"' in erd and "pixels ||--o{ pixel_events_statistics" in erd


def test_a_missing_marker_is_an_error(generator, tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# no markers here\n")
    with pytest.raises(SystemExit, match="BEGIN GENERATED: config"):
        generator.main(["--check", "--readme", str(readme)])


def test_custom_report_examples_in_the_readme_are_valid() -> None:
    # The worked examples are configs users copy; each must pass validation as printed.
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Custom reports") : text.index("## Stream relations")]
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL)]
    basic = [example for example in examples if "level" not in example]
    gmv_max = [example for example in examples if "level" in example]
    assert len(basic) == 3 and len(gmv_max) == 1
    reports = [CustomReport.model_validate(example) for example in basic]
    validation = validate_custom_reports(reports, [])
    assert validation.problems == [] and validation.warnings == []
    shop = validate_gmv_max_reports([GmvMaxCustomReport.model_validate(example) for example in gmv_max], [])
    assert shop.problems == [] and shop.warnings == []
