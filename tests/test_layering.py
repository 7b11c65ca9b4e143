"""The floors of the house hold: every import between our packages runs downwards.

The graph is read from the code with `ast` (imports inside functions count too), so a lazy
import cannot hide a wrong-way arrow. docs/architecture.md draws the same floors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Who may import whom (besides itself). The CLI is the composition root: it may import all.
ALLOWED: dict[str, set[str]] = {
    "common": set(),
    "hardware": {"common"},
    "offline_cache": {"common"},
    "hall_server": {"common"},
    "kiosk": {"common", "hardware", "offline_cache"},
    "screens": {"common", "kiosk"},
    "kiosk.cli": {"common", "kiosk", "hardware", "offline_cache", "hall_server", "screens"},
}
OURS = {"common", "hardware", "offline_cache", "hall_server", "kiosk", "screens"}
# `python -m kiosk` is the CLI's entry point: it belongs to the composition root.
CLI_FILES = {Path("kiosk/__main__.py")}


def floor_of_file(path: Path) -> str:
    rel = path.relative_to(ROOT)
    if rel in CLI_FILES or rel.parts[:2] == ("kiosk", "cli"):
        return "kiosk.cli"
    return rel.parts[0]


def floor_of_module(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] not in OURS:
        return None
    if parts[:2] == ["kiosk", "cli"] or parts[:2] == ["kiosk", "__main__"]:
        return "kiosk.cli"
    return parts[0]


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from kiosk import cli` names a module: count each imported name as one
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def wrong_way_arrows() -> list[str]:
    problems = []
    for floor in OURS:
        for path in sorted((ROOT / floor).rglob("*.py")):
            source = floor_of_file(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for line, module in imported_modules(tree):
                target = floor_of_module(module)
                if target is None or target == source or target in ALLOWED[source]:
                    continue
                rel = path.relative_to(ROOT)
                problems.append(f"{rel}:{line}: {source} imports {module} ({target})")
    return problems


def test_no_import_runs_the_wrong_way():
    problems = wrong_way_arrows()
    assert not problems, "imports against the floors:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "module", "allowed"),
    [
        ("hardware", "kiosk.core", False),
        ("common", "offline_cache.store", False),
        ("screens", "hardware.idcard", False),
        ("kiosk", "kiosk.cli.printer_cmds", False),
        ("kiosk.cli", "hall_server.runner", True),
        ("screens", "common.errors", True),
    ],
)
def test_the_rule_itself_tells_up_from_down(source: str, module: str, allowed: bool):
    target = floor_of_module(module)
    assert (target == source or target in ALLOWED[source]) is allowed


# kiosk/ holds two jobs: the use cases and, in kiosk/ops/, the terminal's operations. The use
# cases never reach into the operations; the core and the runtime wire both.
WIRING = {"core.py", "runtime.py", "__init__.py", "__main__.py"}


def test_use_cases_do_not_import_the_operations():
    problems = []
    for path in sorted((ROOT / "kiosk").glob("*.py")):
        if path.name in WIRING:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in imported_modules(tree):
            if module == "kiosk.ops" or module.startswith("kiosk.ops."):
                problems.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    assert not problems, "use cases importing kiosk/ops:\n" + "\n".join(problems)
