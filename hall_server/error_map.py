"""Which error codes a route can answer, read from the code itself, so the OpenAPI document
(hall_server/openapi.py) cannot drift from what the routes do.

For a route, every `KioskError(CODE, …)` is collected from its endpoint, its dependencies and,
transitively, every hall_server function they call by name (`queue.issue(…)`, `_require(…)`,
`from hall_server.x import f`). The walk is static and over-approximates: it lists what a
route *can* answer. A code chosen at run time (a variable) is not seen: such a route names it
in its decorator's `responses=` (openapi.errors).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from common import errors
from common.errors import ErrorCode

_PACKAGE = "hall_server"


@dataclass
class _Module:
    functions: dict[str, ast.AST] = field(default_factory=dict)  # functions, their tables
    modules: dict[str, str] = field(default_factory=dict)  # local alias → hall_server module
    names: dict[str, tuple[str, str]] = field(default_factory=dict)  # f → (module, f)
    codes: set[str] = field(default_factory=set)  # ErrorCode names imported from common.errors
    errors_alias: set[str] = field(default_factory=set)  # `from common import errors`


@cache
def _module(name: str) -> _Module | None:
    module = sys.modules.get(name) or importlib.import_module(name)
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return None
    info = _Module()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            info.functions[node.name] = node
        elif isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
                node.value, ast.Dict | ast.List | ast.Tuple | ast.Set):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    info.functions[target.id] = node.value  # e.g. a dict of handlers
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                local = alias.asname or alias.name
                full = f"{node.module}.{alias.name}"
                if node.module == "common.errors":
                    info.codes.add(alias.name)
                elif node.module == "common" and alias.name == "errors":
                    info.errors_alias.add(local)
                elif _is_module(full):
                    info.modules[local] = full
                elif node.module.startswith(_PACKAGE):
                    info.names[local] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(_PACKAGE):
                    info.modules[alias.asname or alias.name] = alias.name
    return info


@cache
def _is_module(name: str) -> bool:
    if not name.startswith(_PACKAGE):
        return False
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _code_of(arg: ast.expr, info: _Module) -> ErrorCode | None:
    name = None
    if isinstance(arg, ast.Name) and arg.id in info.codes:
        name = arg.id
    elif (isinstance(arg, ast.Attribute) and isinstance(arg.value, ast.Name)
          and arg.value.id in info.errors_alias):
        name = arg.attr
    value = getattr(errors, name, None) if name else None
    return value if isinstance(value, ErrorCode) else None


def _codes_of(module: str, name: str, seen: set[tuple[str, str]]) -> set[ErrorCode]:
    """Codes raised by a module-level function (or table of functions, such as a dict of
    handlers) and by every hall_server function it names."""
    if (module, name) in seen:
        return set()
    seen.add((module, name))
    info = _module(module)
    node = info.functions.get(name) if info else None
    if info is None or node is None:
        return set()
    found: set[ErrorCode] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) \
                and sub.func.id == "KioskError" and sub.args:
            if code := _code_of(sub.args[0], info):
                found.add(code)
        elif isinstance(sub, ast.Name) and sub.id != name:
            if sub.id in info.functions:
                found |= _codes_of(module, sub.id, seen)
            elif sub.id in info.names:
                found |= _codes_of(*info.names[sub.id], seen)
        elif (isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name)
              and sub.value.id in info.modules):
            found |= _codes_of(info.modules[sub.value.id], sub.attr, seen)
    return found


def _callables(dependant: Any) -> list[Any]:
    out = [dependant.call] if dependant.call is not None else []
    for sub in dependant.dependencies:
        out += _callables(sub)
    return out


def route_codes(route: Any) -> set[ErrorCode]:
    """The error codes a FastAPI route can answer (endpoint and dependencies)."""
    seen: set[tuple[str, str]] = set()
    found: set[ErrorCode] = set()
    for fn in _callables(route.dependant):
        module = getattr(fn, "__module__", "") or ""
        if not module.startswith(_PACKAGE):
            continue
        # a closure (deps.require's `dependency`) is found inside the function that makes it
        outer = getattr(fn, "__qualname__", "").split(".<locals>.")[0]
        found |= _codes_of(module, outer, seen)
    return found
