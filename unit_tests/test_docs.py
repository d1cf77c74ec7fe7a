"""The docs must match the code: generated blocks, quoted constants and defaults, links, the README's size."""

from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from source_tiktok_ads.config import CustomReport, GmvMaxCustomReport, connection_specification, parse_config
from source_tiktok_ads.reports.custom import validate_custom_reports
from source_tiktok_ads.reports.gmv_max_custom import validate_gmv_max_reports

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_docs.py"
README = ROOT / "README.md"
README_MAX_LINES = 400
# Every Markdown file whose links are checked.
DOCUMENTS = sorted([README, *(ROOT / "docs").glob("*.md"), ROOT / "bench" / "RESULTS.md"])

# The code constants the docs quote as `NAME` = value, and the module each lives in. One place to change
# when a module moves.
QUOTED_CONSTANTS = {
    "PAGE_PERMITS_PER_WORKER": "source_tiktok_ads.pipeline.workers",
    "PAGES_AHEAD_OF_READER": "source_tiktok_ads.pipeline.listing",
    "PAGES_PER_FEED": "source_tiktok_ads.pipeline.feed",
    "WINDOW_MARGIN": "source_tiktok_ads.api.budget",
    "FIRST_PAUSE_SECONDS": "source_tiktok_ads.api.budget",
    "MAX_PAUSE_SECONDS": "source_tiktok_ads.api.budget",
    "WIDEN_WITHIN_SECONDS": "source_tiktok_ads.api.budget",
    "WIDEN_ON_THROTTLE": "source_tiktok_ads.api.budget",
    "MOST_WIDENING": "source_tiktok_ads.api.budget",
    "WIDENING_HALF_LIFE_SECONDS": "source_tiktok_ads.api.budget",
    "HEADROOM": "source_tiktok_ads.concurrency",
    "INITIAL_LIMIT": "source_tiktok_ads.concurrency",
    "LAZY_BODY_BYTES": "source_tiktok_ads.api.envelope",
    "MAX_DAYS_DAILY": "source_tiktok_ads.reports.windows",
    "MAX_DAYS_HOURLY": "source_tiktok_ads.reports.windows",
    "MAX_PAGE_SIZE": "source_tiktok_ads.streams.base",
    "DEFAULT_MAX_RETRIES": "source_tiktok_ads.api.errors",
}
QUOTED_CONSTANT = re.compile(r"`([A-Z][A-Z0-9_]+)` = ([\w.]+)")
QUOTED_DEFAULT = re.compile(r"`([a-z_]+)` \(default ([\w.\-]+)\)")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)


def quoted_constant(name: str) -> Any:
    return getattr(importlib.import_module(QUOTED_CONSTANTS[name]), name)


@pytest.fixture(scope="module")
def generator():
    # Loaded once: it caches the discovered streams, which are the slow part.
    spec = importlib.util.spec_from_file_location("gen_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy_documents(generator, root: Path) -> None:
    for document in generator.DOCUMENTS:
        (root / document).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / document, root / document)


# --- generated blocks ------------------------------------------------------------------------------


def test_docs_are_up_to_date_with_the_code() -> None:
    # A separate process, exactly as a developer runs it; the output names the command that fixes it.
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]


def test_every_block_has_one_document(generator) -> None:
    placed = [name for blocks in generator.DOCUMENTS.values() for name in blocks]
    assert sorted(placed) == sorted(generator.BLOCKS)


@pytest.mark.parametrize(
    ("document", "before", "after"),
    [
        ("README.md", "| `campaigns` |", "| `campaigns_old` |"),
        ("docs/streams.md", 'ad_groups ||--o{ ads : "adgroup_id"', 'ad_groups ||--o{ ads : "ad_id"'),
    ],
)
def test_check_mode_catches_a_stale_block_and_leaves_the_file_alone(
    generator, tmp_path: Path, document: str, before: str, after: str
) -> None:
    _copy_documents(generator, tmp_path)
    path = tmp_path / document
    stale = path.read_text().replace(before, after, 1)
    assert stale != path.read_text()
    path.write_text(stale)
    assert generator.main(["--check", "--root", str(tmp_path)]) == 1
    assert path.read_text() == stale
    assert generator.main(["--root", str(tmp_path)]) == 0
    assert generator.main(["--check", "--root", str(tmp_path)]) == 0
    assert path.read_text() == (ROOT / document).read_text()


def test_generated_blocks_reflect_spec_and_discover(generator) -> None:
    config = generator.config_block()
    assert "| `credentials.secret` | string | \u2013 | yes (oauth2.0) | yes |" in config
    assert "`custom_reports[].filters[].filter_value`" in config
    reports = generator.report_streams_block()
    assert "| `ads_audience_reports_by_province_daily` | AUDIENCE | ad | daily | `province_id` |" in reports
    erd = generator.erd_block()
    assert 'ad_groups ||--o{ ads : "adgroup_id"' in erd and "pixels ||--o{ pixel_events_statistics" in erd


@pytest.mark.parametrize("document", ["README.md", "docs/streams.md"])
def test_a_missing_marker_is_an_error(generator, tmp_path: Path, document: str) -> None:
    _copy_documents(generator, tmp_path)
    (tmp_path / document).write_text("# no markers here\n")
    name = generator.DOCUMENTS[document][0]
    with pytest.raises(SystemExit, match=f"{re.escape(document)} must contain .*BEGIN GENERATED: {name}"):
        generator.main(["--check", "--root", str(tmp_path)])


# --- what the docs quote -----------------------------------------------------------------------------


def test_custom_report_examples_in_the_readme_are_valid() -> None:
    # The worked examples are configs users copy; each must pass validation as printed.
    text = README.read_text()
    start = text.index("## Custom reports")
    section = text[start : text.index("\n## ", start + 1)]
    examples: list[dict[str, Any]] = []
    for block in re.findall(r"```json\n(.*?)```", section, re.DOTALL):
        parsed = json.loads(block)
        examples += parsed if isinstance(parsed, list) else [parsed]
    basic = [example for example in examples if "level" not in example]
    gmv_max = [example for example in examples if "level" in example]
    assert len(basic) == 3 and len(gmv_max) == 1
    reports = [CustomReport.model_validate(example) for example in basic]
    validation = validate_custom_reports(reports, [])
    assert validation.problems == [] and validation.warnings == []
    shop = validate_gmv_max_reports([GmvMaxCustomReport.model_validate(example) for example in gmv_max], [])
    assert shop.problems == [] and shop.warnings == []


def _quotes(pattern: re.Pattern[str]) -> list[tuple[Path, str, str]]:
    return [(path, *match) for path in DOCUMENTS for match in pattern.findall(path.read_text())]


def test_constants_the_docs_quote_are_the_codes() -> None:
    quotes = _quotes(QUOTED_CONSTANT)
    unknown = sorted({name for _, name, _ in quotes} - set(QUOTED_CONSTANTS))
    assert not unknown, f"quoted in the docs but missing from QUOTED_CONSTANTS: {unknown}"
    wrong = [
        f"{path.relative_to(ROOT)}: `{name}` = {value}, the code has {quoted_constant(name)!r}"
        for path, name, value in quotes
        if value != str(quoted_constant(name))
    ]
    assert not wrong, wrong
    unquoted = sorted(set(QUOTED_CONSTANTS) - {name for _, name, _ in quotes})
    assert not unquoted, f"QUOTED_CONSTANTS entries no document quotes: {unquoted}"


def test_performance_doc_quotes_the_scaling_knobs() -> None:
    # The figures a user scales by: present, and (below) equal to the code's.
    text = (ROOT / "docs" / "performance.md").read_text()
    for name in ("PAGE_PERMITS_PER_WORKER", "PAGES_AHEAD_OF_READER", "WINDOW_MARGIN"):
        assert f"`{name}` = " in text, name
    for key in ("num_workers", "requests_per_second", "requests_per_minute", "gmv_max_requests_per_second"):
        assert f"`{key}` (default " in text, key


def test_config_defaults_the_docs_quote_are_the_specs() -> None:
    properties = connection_specification()["properties"]
    quotes = _quotes(QUOTED_DEFAULT)
    assert len(quotes) >= 6
    wrong = [
        f"{path.relative_to(ROOT)}: `{key}` (default {value}), the spec has {properties.get(key, {}).get('default')!r}"
        for path, key, value in quotes
        if str(properties.get(key, {}).get("default")) != value
    ]
    assert not wrong, wrong


# --- size and links ----------------------------------------------------------------------------------


def test_the_readme_is_a_guide_of_at_most_400_lines() -> None:
    lines = len(README.read_text().splitlines())
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; move reference material to docs/"


def _anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCED.sub("", path.read_text()), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def _broken_links(path: Path) -> list[str]:
    broken = []
    for target in LINK.findall(FENCED.sub("", path.read_text())):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not this test's business
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading '{anchor}' in {linked.name}")
    return broken


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_relative_links_point_at_what_exists(path: Path) -> None:
    assert not _broken_links(path)


def test_a_broken_link_is_caught(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[ok](#title) [gone](missing.md) [no anchor](#nowhere) [web](https://x.y)\n")
    assert _broken_links(page) == ["missing.md: no such file", "#nowhere: no heading 'nowhere' in page.md"]


# --- log lines and errors troubleshooting.md quotes ---------------------------------------------------

TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"


def _retry_line_for(status: int, path: str) -> str:
    """The retry line the connector logs for an HTTP `status` answer to `path`, as a run writes it."""
    import requests
    import requests_mock
    from airbyte_cdk.sources.streams.http.exceptions import UserDefinedBackoffException

    from source_tiktok_ads.api.errors import TikTokErrorHandler
    from source_tiktok_ads.api.retry_log import RETRY_LOG_WORDING

    url = f"https://business-api.tiktok.com/open_api/v1.3/{path}?advertiser_id=1"
    with requests_mock.Mocker() as mock:
        mock.get(url, status_code=status, text="oops")
        response = requests.get(url, timeout=1)
    resolution = TikTokErrorHandler(logging.getLogger("test_docs")).interpret_response(response)
    cdk_line = f"UserDefinedBackoffException: Rate limit exceeded (HTTP {status}). Retrying in 1.93 seconds."
    record = logging.LogRecord("airbyte", logging.INFO, "", 0, cdk_line, None, None)
    try:
        raise UserDefinedBackoffException(
            backoff=0.93, request=response.request, response=response, error_message=resolution.error_message
        )
    except UserDefinedBackoffException:
        RETRY_LOG_WORDING.filter(record)
    return record.getMessage()


def test_troubleshooting_quotes_the_lines_the_code_writes() -> None:
    text = TROUBLESHOOTING.read_text()
    retry = _retry_line_for(500, "ad/get/")
    assert retry == "ad/get/: HTTP Status Code: 500. Error: Internal server error. Retrying in 1.9 s."
    assert f"`<endpoint>: {retry.removeprefix('ad/get/: ')}`" in text
    from airbyte_cdk.utils.traced_exception import AirbyteTracedException

    with pytest.raises(AirbyteTracedException) as date_error:
        parse_config({"credentials": {"access_token": "x" * 20}, "start_date": "15/11/2026"})
    assert "'start_date': \"15/11/2026\" is not a date; write it as YYYY-MM-DD, e.g. 2026-11-15." in str(
        date_error.value.message
    )
    assert "`'start_date': \"15/11/2026\" is not a date; write it as YYYY-MM-DD, e.g. 2026-11-15.`" in text
    assert "credentials has no auth_type and no app_id, so it was taken as a sandbox token" in str(
        date_error.value.message
    )
    assert "`credentials has no auth_type and no app_id, so it was taken as a sandbox token …`" in text
