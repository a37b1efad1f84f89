"""Walking installed packages: listings, prompt fragments, making their roots importable.

Nothing here loads creature configs: listings read only manifests and folder names, so
``kt list`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages.locations import get_package_root, installed_names, is_editable
from kohakuterrarium.packages.manifest import load_manifest, slot_entries
from kohakuterrarium.packages.source import read_install_record
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)


def package_contents(root: Path, manifest: dict[str, Any], slot: str) -> list[dict[str, str]]:
    """The ``creatures`` or ``terrariums`` of a package: ``[{name, path, description}]``.

    Taken from the manifest slot; when the manifest has no such slot, the sub-folders of
    ``root/<slot>/`` are listed instead.
    """
    entries = slot_entries(manifest, slot)
    if entries or manifest.get(slot):
        return [
            {
                "name": str(entry.get("name") or Path(str(entry.get("path", ""))).name),
                "path": str(entry.get("path") or f"{slot}/{entry.get('name', '')}"),
                "description": str(entry.get("description") or ""),
            }
            for entry in entries
        ]
    folder = root / slot
    if not folder.is_dir():
        return []
    return [
        {"name": sub.name, "path": f"{slot}/{sub.name}", "description": ""}
        for sub in sorted(folder.iterdir())
        if sub.is_dir() and not sub.name.startswith((".", "_"))
    ]


def list_packages() -> list[dict[str, Any]]:
    """Every installed package, sorted by name.

    Keys: ``name, version, description, path, editable, kind`` (``editable``, ``git`` or
    ``local``), ``source`` (URL or folder), ``ref`` and ``commit`` (git installs). A broken
    editable link is listed with ``path: None`` and an ``error`` text.
    """
    out: list[dict[str, Any]] = []
    for name in installed_names():
        try:
            root = get_package_root(name)
        except PackageError as exc:
            out.append({"name": name, "path": None, "editable": True, "error": str(exc)})
            continue
        if root is None:
            continue
        manifest = load_manifest(root)
        editable = is_editable(name)
        info: dict[str, Any] = {
            "name": name,
            "version": str(manifest.get("version", "") or ""),
            "description": manifest.get("description", "") or "",
            "path": root,
            "editable": editable,
            "kind": "editable" if editable else "local",
            "source": str(root) if editable else None,
            "ref": None,
            "commit": None,
        }
        if not editable:
            try:
                record = read_install_record(root)
            except PackageError as exc:
                info["error"] = str(exc)
                record = None
            if record is not None:
                info.update(
                    kind=record.kind, source=record.source, ref=record.ref, commit=record.commit
                )
        out.append(info)
    return out


def resolve_package_prompt(name: str) -> Path | None:
    """The absolute path of the prompt fragment ``name`` from installed manifests, or None.

    Searches each installed package's ``prompts:`` slot, then its ``templates:`` alias slot,
    in package-name order. This is the include resolver of the Jinja prompt environment.
    Raises PackageError when a manifest names the fragment but its file is missing.
    """
    for pkg in installed_names():
        try:
            root = get_package_root(pkg)
        except PackageError:
            continue
        if root is None:
            continue
        for entry in slot_entries(load_manifest(root), "prompts", "templates"):
            if entry.get("name") != name:
                continue
            rel = entry.get("path")
            if not isinstance(rel, str) or not rel:
                raise PackageError(
                    f"package '{pkg}': prompt '{name}' has no 'path' in its manifest"
                )
            path = (root / rel).resolve()
            if not path.is_file():
                raise PackageError(
                    f"package '{pkg}': prompt '{name}' points at {path}, which does not exist; "
                    "fix the manifest's prompts: entry or reinstall the package"
                )
            return path
    return None


def ensure_package_importable(name: str) -> Path:
    """Put installed package ``name``'s root on ``sys.path`` (front); return the root."""
    root = get_package_root(name)
    if root is None:
        raise PackageError(f"package '{name}' is not installed; see `kt list`")
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def ensure_package_roots_importable() -> list[Path]:
    """Put every installed package root on ``sys.path`` (front), so pack modules import.

    Returns the roots that were added by this call.
    """
    added = []
    for pkg in installed_names():
        try:
            root = get_package_root(pkg)
        except PackageError as exc:
            logger.warning("skipping a broken package link", package=pkg, error=str(exc))
            continue
        if root is None:
            continue
        text = str(root)
        if text not in sys.path:
            sys.path.insert(0, text)
            added.append(root)
    return added


__all__ = [
    "ensure_package_importable",
    "ensure_package_roots_importable",
    "list_packages",
    "package_contents",
    "resolve_package_prompt",
]
