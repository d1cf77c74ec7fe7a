"""docs/recovery.md quotes the budgets of the recovery layers; the figures must be the code's.

A constant is found by name wherever it is defined in the package, so the test follows it when it moves
between modules; a quoted call (`Class(param=value)`) is checked against the signature's defaults."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "source_tiktok_ads"
DOC = ROOT / "docs" / "recovery.md"
COLUMNS = ["Layer", "Trigger", "Owner", "Budget", "What the user sees"]
# Every layer's budget that is a constant of the code: the table must quote each of them.
EXPECTED_CONSTANTS = {
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_TIME",
    "FIRST_CONTACT_NETWORK_RETRIES",
    "FIRST_PAUSE_SECONDS",
    "MAX_PAUSE_SECONDS",
    "UNUSABLE_BODY_ATTEMPTS",
    "WINDOW_ATTEMPTS",
    "CHECK_MAX_RETRIES",
    "WINDOWS_NAMED",
    "MAX_READINGS",
    "REQUEST_TIMEOUT",
    "REPEATED_WITHIN_SECONDS",
    "SLOW_DOWN_FACTOR",
    "MOST_SLOWING",
    "SLOWING_HALF_LIFE_SECONDS",
    "CUT_SIZE",
    "CAMPAIGN_IDS_PER_PART",
    "ADGROUP_IDS_PER_PART",
    "DAILY_QUOTA",
}
CONSTANT = re.compile(r"`([A-Z][A-Z0-9_]+) = ([^`]+)`")
CALL = re.compile(r"`([A-Z][A-Za-z0-9]+\([a-z_]+=[^`]*\))`")


def table_rows() -> list[dict[str, str]]:
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    assert header == COLUMNS
    rows = []
    for line in lines[2:]:
        # No cell contains a pipe: the table's cells are split on every one.
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), line
        rows.append(dict(zip(COLUMNS, cells, strict=True)))
    return rows


def budgets() -> str:
    return " ".join(row["Budget"] for row in table_rows())


def defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef | ast.FunctionDef):
        return [node.name]
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return [target.id for target in targets if isinstance(target, ast.Name)]


def module_defining(name: str) -> str:
    """The one module of the package with a top-level definition of `name`."""
    found = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted(PACKAGE.rglob("*.py"))
        if any(name in defined_names(node) for node in ast.parse(path.read_text(encoding="utf-8")).body)
    ]
    assert len(found) == 1, f"{name} is defined in {found or 'no module'} of the package"
    return found[0]


def code_value(name: str) -> Any:
    return getattr(importlib.import_module(module_defining(name)), name)


def test_the_table_has_every_layer() -> None:
    layers = [row["Layer"] for row in table_rows()]
    for layer in (
        "HTTP retry",
        "Throttle pause",
        "Unusable body",
        "Window re-read",
        "40067 split",
        "Metric drop",
    ):
        assert any(name.startswith(layer) for name in layers), layer
    assert "Slice left unread" in layers and "Check's shorter retries" in layers
    assert {"Advertiser details per id", "Buying types unknown", "Planning failure"} <= set(layers)
    assert all(row[column] for row in table_rows() for column in COLUMNS)


def test_every_budget_constant_is_quoted() -> None:
    assert {name for name, _ in CONSTANT.findall(budgets())} >= EXPECTED_CONSTANTS


def wrong_constants(text: str) -> list[str]:
    """The constants `text` quotes with a value other than the code's."""
    return [
        name
        for name, quoted in CONSTANT.findall(text)
        if code_value(name) != eval(quoted, {"__builtins__": {}, "timedelta": timedelta})
    ]


def test_every_quoted_constant_equals_the_code() -> None:
    assert wrong_constants(budgets()) == []


@pytest.mark.parametrize("quoted", CALL.findall(budgets()))
def test_a_quoted_call_matches_the_defaults(quoted: str) -> None:
    call = ast.parse(quoted, mode="eval").body
    assert isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
    parameters = inspect.signature(code_value(call.func.id)).parameters
    for keyword in call.keywords:
        assert parameters[keyword.arg].default == ast.literal_eval(keyword.value), f"{quoted}: {keyword.arg}"


def test_the_quoted_counts_in_messages_follow_the_constants() -> None:
    """The user-visible lines quote an attempt count: it must be the budget's."""
    rows = {row["Layer"]: row for row in table_rows()}
    attempts = code_value("UNUSABLE_BODY_ATTEMPTS")
    assert f"after {attempts} attempts" in rows["Unusable body re-request"]["What the user sees"]
    window_attempts = code_value("WINDOW_ATTEMPTS")
    seen = rows["Window re-read"]["What the user sees"]
    assert f"(attempt 1 of {window_attempts})" in seen and f"({window_attempts} attempts)" in seen


def test_a_wrong_figure_is_seen() -> None:
    """The checks above could not fail if every lookup matched anything."""
    window_attempts = code_value("WINDOW_ATTEMPTS")
    assert wrong_constants(f"`WINDOW_ATTEMPTS = {window_attempts + 1}`") == ["WINDOW_ATTEMPTS"]
    assert wrong_constants("`DEFAULT_MAX_TIME = timedelta(minutes=11)`") == ["DEFAULT_MAX_TIME"]
    with pytest.raises(AssertionError):
        module_defining("NO_SUCH_CONSTANT")
