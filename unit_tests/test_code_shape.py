"""The size limits the codebase keeps: functions a reader takes in at once, modules of one idea."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHECKED = [REPO_ROOT / "source_tiktok_ads", REPO_ROOT / "integration_tests" / "tiktok_emulator"]
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600


def python_files() -> list[Path]:
    return sorted(path for root in CHECKED for path in root.rglob("*.py"))


def test_the_checked_folders_hold_code() -> None:
    assert len(python_files()) > 20


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_module_and_function_sizes(path: Path) -> None:
    source = path.read_text()
    lines = source.count("\n") + 1
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines; split it by concern"
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines, from line {node.lineno})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not too_long, f"{path.name}: functions over {MAX_FUNCTION_LINES} lines: {', '.join(too_long)}"
