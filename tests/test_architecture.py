"""The layer map of src/kohakuterrarium, kept true by walking every import.

Layers, bottom to top (a package may import its own layer and the layers below it, never above)::

    0  errors, utils, _version                      the foundation
    1  llm, parsing, prompt, modules                 protocols and building blocks
    2  core, session, compose, mcp, packages, skills the runtime and its services
    3  builtins, bootstrap, serving                  batteries: tools, sub-agents, I/O, wiring
    4  terrarium                                     the multi-creature engine
    5  studio, api, cli, testing, __main__           surfaces

Imports inside functions count (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` do not (they never run). ``importlib.import_module("kohakuterrarium...")``
with a literal name counts too. The package facade ``kohakuterrarium/__init__.py`` is exempt: it
re-exports the public API lazily from every layer by design.

This file and src/kohakuterrarium/README.md are the two places the map is written down; a new
top-level package must be added to both.
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "kohakuterrarium"
SRC = Path(__file__).resolve().parent.parent / "src" / PACKAGE

LAYERS: dict[str, int] = {
    "errors": 0,
    "utils": 0,
    "_version": 0,
    "llm": 1,
    "parsing": 1,
    "prompt": 1,
    "modules": 1,
    "core": 2,
    "session": 2,
    "compose": 2,
    "mcp": 2,
    "packages": 2,
    "skills": 2,
    "builtins": 3,
    "bootstrap": 3,
    "serving": 3,
    "terrarium": 4,
    "studio": 5,
    "api": 5,
    "cli": 5,
    "testing": 5,
    "__main__": 5,
}

# Leaf data modules of core/ that layer 1 (modules/, llm/, parsing/, prompt/) may import although
# core/ sits above them: they are the plain types that tools, plugins and triggers exchange with
# the runtime (events, results, the config dataclass, the scratchpad, termination decisions), and
# installed packs import them from these core.* paths, so they cannot move down. They must stay
# leaves: test_core_leaf_modules_stay_leaves checks they import nothing from layer 2 or above.
CORE_LEAF_MODULES = frozenset(
    {
        "kohakuterrarium.core.events",
        "kohakuterrarium.core.result",
        "kohakuterrarium.core.config_types",
        "kohakuterrarium.core.scratchpad",
        "kohakuterrarium.core.termination",
    }
)

# Loaded by `import kohakuterrarium; kohakuterrarium.Agent` these would make the first build slow
# (Part C 30): provider SDKs, HTTP clients, the web stack, TUIs and template engines.
HEAVY_FOR_AGENT = (
    "openai",
    "anthropic",
    "httpx",
    "fastapi",
    "starlette",
    "uvicorn",
    "textual",
    "rich",
    "prompt_toolkit",
    "mcp",
    "jinja2",
)

# `kt --help` must not even load the config stack or the runtime.
HEAVY_FOR_HELP = ("pydantic", "yaml", "jinja2", f"{PACKAGE}.core")


@dataclass(frozen=True)
class Import:
    """One import statement found in a module."""

    file: Path
    """The importing file."""
    line: int
    """Line number of the import."""
    importer: str
    """Dotted name of the importing module."""
    target: str
    """Dotted name of the imported module (``from a import b`` gives ``a.b`` when ``b`` is a
    module, else ``a``)."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def _resolve_relative(importer: str, is_package: bool, module: str | None, level: int) -> str:
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _is_module(dotted: str) -> bool:
    rel = Path(*dotted.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


class _ImportCollector(ast.NodeVisitor):
    """Collects runtime imports, skipping the bodies of ``if TYPE_CHECKING:`` blocks."""

    def __init__(self, file: Path, importer: str, is_package: bool) -> None:
        self.file = file
        self.importer = importer
        self.is_package = is_package
        self.found: list[Import] = []

    def _add(self, node: ast.AST, target: str) -> None:
        if target == PACKAGE or target.startswith(PACKAGE + "."):
            self.found.append(Import(self.file, node.lineno, self.importer, target))

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            for child in node.orelse:  # the else branch does run
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = _resolve_relative(self.importer, self.is_package, node.module, node.level)
        else:
            base = node.module or ""
        for alias in node.names:
            candidate = f"{base}.{alias.name}"
            self._add(node, candidate if _is_module(candidate) else base)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if (
            name == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node, node.args[0].value)
        self.generic_visit(node)


def _all_imports() -> list[Import]:
    found: list[Import] = []
    for file in sorted(SRC.rglob("*.py")):
        if file == SRC / "__init__.py":
            continue  # the lazy facade re-exports every layer on purpose
        importer = _module_name(file)
        collector = _ImportCollector(file, importer, file.name == "__init__.py")
        collector.visit(ast.parse(file.read_text(encoding="utf-8"), filename=str(file)))
        found.extend(collector.found)
    return found


def _top(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def _where(imp: Import) -> str:
    return f"{imp.file.relative_to(SRC.parent.parent)}:{imp.line}"


def _violation(imp: Import) -> str | None:
    src_pkg, dst_pkg = _top(imp.importer), _top(imp.target)
    if not dst_pkg or src_pkg == dst_pkg:
        return None
    src_layer, dst_layer = LAYERS[src_pkg], LAYERS.get(dst_pkg)
    if dst_layer is None:
        return None  # reported by test_every_top_level_package_is_in_the_layer_map
    if dst_layer <= src_layer:
        return None
    if src_layer == 1 and imp.target in CORE_LEAF_MODULES:
        return None
    return (
        f"{_where(imp)}: {imp.importer} (layer {src_layer}, {src_pkg}) imports {imp.target} "
        f"(layer {dst_layer}, {dst_pkg}): an upward import"
    )


def test_every_top_level_package_is_in_the_layer_map() -> None:
    unknown = sorted(
        {
            p.stem if p.is_file() else p.name
            for p in SRC.iterdir()
            if (p.suffix == ".py" and p.name != "__init__.py")
            or (p.is_dir() and any(p.rglob("*.py")))
        }
        - set(LAYERS)
    )
    assert not unknown, (
        f"top-level modules missing from the layer map: {unknown}; add each to LAYERS in "
        "tests/test_architecture.py and to src/kohakuterrarium/README.md"
    )


def test_no_module_imports_a_higher_layer() -> None:
    violations = [v for imp in _all_imports() if (v := _violation(imp))]
    assert not violations, "upward imports:\n" + "\n".join(violations)


def test_core_leaf_modules_stay_leaves() -> None:
    violations = [
        f"{_where(imp)}: {imp.importer} is a leaf data module that layer 1 may import, so it "
        f"must not import {imp.target}"
        for imp in _all_imports()
        if imp.importer in CORE_LEAF_MODULES
        and _top(imp.target) in LAYERS
        and LAYERS[_top(imp.target)] >= 2
        and imp.target not in CORE_LEAF_MODULES
    ]
    assert not violations, "\n".join(violations)


def test_the_walker_sees_lazy_imports_and_skips_type_checking() -> None:
    """The collector itself: function-level imports count, TYPE_CHECKING ones do not."""
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from kohakuterrarium.cli import main\n"
        "def f():\n"
        "    from kohakuterrarium.terrarium import engine\n"
        "    import importlib\n"
        "    importlib.import_module('kohakuterrarium.api.app')\n"
    )
    collector = _ImportCollector(SRC / "core" / "x.py", "kohakuterrarium.core.x", False)
    collector.visit(ast.parse(code))
    targets = sorted(i.target for i in collector.found)
    assert targets == ["kohakuterrarium.api.app", "kohakuterrarium.terrarium.engine"]
    violations = [_violation(i) for i in collector.found]
    assert all(v and "upward import" in v for v in violations)


def _loaded_modules(code: str) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return set(proc.stdout.split())


def _heavy(loaded: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == n or m.startswith(n + ".") for n in names))


def test_import_package_is_light() -> None:
    assert not _heavy(_loaded_modules("import kohakuterrarium"), HEAVY_FOR_AGENT)


@pytest.mark.skipif(
    importlib.util.find_spec("kohakuterrarium.core.agent") is None,
    reason="Agent not available yet",
)
def test_touching_agent_loads_no_heavy_dependency() -> None:
    loaded = _loaded_modules("import kohakuterrarium\nkohakuterrarium.Agent")
    assert f"{PACKAGE}.core.agent" in loaded
    assert not _heavy(loaded, HEAVY_FOR_AGENT)


def test_kt_help_loads_neither_config_stack_nor_runtime() -> None:
    """``kt --help`` run for real, with -X importtime listing every module it imported."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", PACKAGE, "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "usage: kt" in proc.stdout
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert f"{PACKAGE}.cli.parser" in imported  # the listing really covers our modules
    assert not _heavy(imported, HEAVY_FOR_HELP)


@pytest.mark.skipif(
    importlib.util.find_spec("kohakuterrarium.core.agent") is None,
    reason="Agent not available yet",
)
def test_a_scripted_turn_loads_no_heavy_dependency() -> None:
    """Build and run a creature on the scripted LLM: nothing heavy may be needed for it."""
    code = (
        "import asyncio\n"
        "from kohakuterrarium import Agent\n"
        "from kohakuterrarium.core.config_types import AgentConfig\n"
        "async def go():\n"
        "    cfg = AgentConfig(name='t', system_prompt='hi')\n"
        "    async with await Agent.build(cfg, llm='scripted:hello') as agent:\n"
        "        result = await agent.run('hi')\n"
        "    assert result.status == 'ok' and result.text == 'hello', result\n"
        "asyncio.run(go())\n"
    )
    assert not _heavy(_loaded_modules(code), HEAVY_FOR_AGENT)
