"""No function in screens/ reaches 60 lines (issue 16): the view-models' render methods were
the places a newcomer feared; split by step, they stay split."""

from __future__ import annotations

import ast
from pathlib import Path

SCREENS = Path(__file__).resolve().parents[1] / "screens"
LIMIT = 60


def test_every_function_in_screens_is_under_60_lines():
    long = []
    for path in sorted(SCREENS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines >= LIMIT:
                    long.append(f"{path.relative_to(SCREENS.parent)}:{node.lineno} "
                                f"{node.name}: {lines} lines")
    assert not long, "split these by step:\n" + "\n".join(long)
