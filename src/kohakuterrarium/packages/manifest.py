"""Package manifests (``kohaku.yaml``): reading them, their slots, their Python dependencies.

>>> plan = dependency_plan(Path("my-pack"))   # doctest: +SKIP
>>> plan.pip_command()                         # doctest: +SKIP
['/usr/bin/python3', '-m', 'pip', 'install', 'croniter>=2', '-r', '.../requirements.txt']

YAML is imported only when a manifest is actually read.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages.locations import MANIFEST_NAMES

CONTENT_SLOTS = ("creatures", "terrariums")
"""Slots naming runnable things (addressed as ``@pkg/creatures/<dir>``)."""

EXTENSION_SLOTS = ("tools", "plugins", "io", "triggers", "prompts", "templates", "skills")
"""Slots naming things a package contributes to creatures."""

_MANIFEST_CACHE: dict[Path, tuple[int, int, dict[str, Any]]] = {}


def manifest_path(root: Path) -> Path | None:
    """The manifest file of the package at ``root``, or None."""
    for fname in MANIFEST_NAMES:
        candidate = root / fname
        if candidate.is_file():
            return candidate
    return None


def load_manifest(root: Path | str) -> dict[str, Any]:
    """The manifest of the package at ``root`` as a dict; ``{"name": <dirname>}`` if it has none."""
    root = Path(root)
    path = manifest_path(root)
    if path is None:
        return {"name": root.name}
    stat = path.stat()
    cached = _MANIFEST_CACHE.get(path)
    if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return dict(cached[2])
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PackageError(f"{path}: the manifest is not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise PackageError(f"{path}: the manifest must be a mapping, got {type(data).__name__}")
    data.setdefault("name", root.name)
    _MANIFEST_CACHE[path] = (stat.st_mtime_ns, stat.st_size, data)
    return dict(data)


def slot_entries(manifest: dict[str, Any], *slots: str) -> list[dict[str, Any]]:
    """The mapping entries of the given list slots, in order (non-mappings are skipped)."""
    entries: list[dict[str, Any]] = []
    for slot in slots:
        value = manifest.get(slot) or []
        if not isinstance(value, list):
            continue
        entries.extend(entry for entry in value if isinstance(entry, dict))
    return entries


def has_content(root: Path, manifest: dict[str, Any]) -> bool:
    """Whether the package provides any creature, terrarium or extension."""
    if any((root / slot).is_dir() for slot in CONTENT_SLOTS):
        return True
    return any(manifest.get(slot) for slot in (*CONTENT_SLOTS, *EXTENSION_SLOTS))


# --------------------------------------------------------------------------- dependencies


@dataclass
class DependencyPlan:
    """The Python dependencies a package declares, and how pip would install them."""

    specs: list[str] = field(default_factory=list)
    """pip requirement specs from the manifest's ``python_dependencies``."""
    requirements_file: Path | None = None
    """The package's ``requirements.txt``, when it has one."""

    @property
    def empty(self) -> bool:
        """True when there is nothing to install."""
        return not self.specs and self.requirements_file is None

    def pip_command(self) -> list[str]:
        """The argv that installs the dependencies into the running interpreter."""
        argv = [sys.executable, "-m", "pip", "install", *self.specs]
        if self.requirements_file is not None:
            argv += ["-r", str(self.requirements_file)]
        return argv

    def describe(self) -> str:
        """A one-line summary: the specs, then the requirements file."""
        parts = list(self.specs)
        if self.requirements_file is not None:
            parts.append(f"-r {self.requirements_file}")
        return ", ".join(parts)


def dependency_plan(root: Path | str, manifest: dict[str, Any] | None = None) -> DependencyPlan:
    """The Python dependencies of the package at ``root``.

    Raises PackageError when ``python_dependencies`` is not a list of strings.
    """
    root = Path(root)
    if manifest is None:
        manifest = load_manifest(root)
    specs = manifest.get("python_dependencies") or []
    if isinstance(specs, str):
        specs = [specs]
    if not isinstance(specs, list) or not all(isinstance(s, str) and s.strip() for s in specs):
        raise PackageError(
            f"package '{manifest.get('name')}': python_dependencies must be a list of pip "
            f"requirement strings, got {specs!r}"
        )
    requirements = root / "requirements.txt"
    return DependencyPlan(
        specs=[s.strip() for s in specs],
        requirements_file=requirements if requirements.is_file() else None,
    )


__all__ = [
    "CONTENT_SLOTS",
    "EXTENSION_SLOTS",
    "DependencyPlan",
    "dependency_plan",
    "has_content",
    "load_manifest",
    "manifest_path",
    "slot_entries",
]
