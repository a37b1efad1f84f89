"""Installed packages (packs such as kt-biome): where they live, how ``@pkg/path`` resolves.

A package is a folder holding ``kohaku.yaml`` (or ``kohaku.yml``). Installed packages live in
:data:`PACKAGES_DIR`, either copied (``<name>/``) or linked for editable installs (``<name>.link``,
a text file holding the absolute source path).

Every function reads :data:`PACKAGES_DIR` when it is called, never at import time, so tests may
``monkeypatch.setattr(kohakuterrarium.packages, "PACKAGES_DIR", tmp_path)``. When the attribute
is left alone, ``$KT_CONFIG_DIR`` is re-read on each call.

>>> install_package("./my-pack", editable=True)        # doctest: +SKIP
'my-pack'
>>> resolve_package_path("@my-pack/creatures/helper")  # doctest: +SKIP
PosixPath('/home/me/src/my-pack/creatures/helper')

Importing this module is cheap: YAML is imported only when a manifest is read.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import MissingFileError, PackageError
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

MANIFEST_NAMES = ("kohaku.yaml", "kohaku.yml")
"""File names of a package manifest, first match wins."""

LINK_SUFFIX = ".link"
"""Suffix of the text file that marks an editable install."""

_INSTALL_HINT = "install it with `kt install <path-or-url>` (or `kt install <path> -e`)"


def _default_packages_dir() -> Path:
    home = os.environ.get("KT_CONFIG_DIR")
    root = Path(home).expanduser() if home else Path.home() / ".kohakuterrarium"
    return root / "packages"


PACKAGES_DIR: Path = _default_packages_dir()
"""Where installed packages live: ``$KT_CONFIG_DIR/packages`` or ``~/.kohakuterrarium/packages``."""

# The import-time value, so packages_dir() can tell "monkeypatched" from "left alone".
_IMPORT_TIME_DIR = PACKAGES_DIR


def packages_dir() -> Path:
    """The packages folder now: the patched :data:`PACKAGES_DIR`, else from ``$KT_CONFIG_DIR``."""
    current = globals()["PACKAGES_DIR"]
    if current is not _IMPORT_TIME_DIR:
        return Path(current)
    return _default_packages_dir()


# --------------------------------------------------------------------------- locations


def _check_name(name: str) -> None:
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise PackageError(f"'{name}' is not a valid package name (no slashes, no leading dot)")


def get_package_root(name: str) -> Path | None:
    """The folder of installed package ``name`` (copied or linked), or None if not installed.

    Raises PackageError when an editable link points at a folder that no longer exists.
    """
    name = name.lstrip("@")
    _check_name(name)
    base = packages_dir()
    folder = base / name
    if folder.is_dir():
        return folder
    link = base / f"{name}{LINK_SUFFIX}"
    if link.is_file():
        target = Path(link.read_text(encoding="utf-8").strip()).expanduser()
        if not target.is_dir():
            raise PackageError(
                f"package '{name}' is an editable install pointing at {target}, which does not "
                f"exist any more; reinstall it with `kt install <path> -e` or `kt uninstall {name}`"
            )
        return target
    return None


def is_editable(name: str) -> bool:
    """Whether package ``name`` is installed as an editable link."""
    return (packages_dir() / f"{name.lstrip('@')}{LINK_SUFFIX}").is_file()


def is_package_ref(value: Any) -> bool:
    """Whether ``value`` is an ``@pkg`` or ``@pkg/sub/path`` reference (quotes allowed)."""
    return isinstance(value, str) and value.strip().strip("\"'").startswith("@")


def split_package_ref(ref: str) -> tuple[str, str]:
    """``"@pkg/sub/path"`` -> ``("pkg", "sub/path")``; ``"@pkg"`` -> ``("pkg", "")``."""
    text = ref.strip().strip("\"'")
    if not text.startswith("@") or len(text) < 2:
        raise PackageError(f"'{ref}' is not a package reference (expected '@pkg/sub/path')")
    name, _, sub = text[1:].partition("/")
    _check_name(name)
    return name, sub.strip("/")


def resolve_package_path(ref: str) -> Path:
    """The absolute path that ``@pkg/sub/path`` points at inside the installed package.

    Raises PackageError when the package is not installed, MissingFileError when the package
    has no such sub path.
    """
    name, sub = split_package_ref(ref)
    root = get_package_root(name)
    if root is None:
        raise PackageError(f"package '{name}' (from '{ref}') is not installed; {_INSTALL_HINT}")
    target = (root / sub) if sub else root
    if not target.exists():
        raise MissingFileError(
            f"package '{name}' has no '{sub}' (looked at {target})",
            hint=_near_paths_hint(root, sub),
        )
    return target.resolve()


def _near_paths_hint(root: Path, sub: str) -> str:
    from kohakuterrarium.errors import did_you_mean

    parent = (root / sub).parent
    if parent.is_dir():
        hint = did_you_mean(Path(sub).name, [p.name for p in parent.iterdir()])
        if hint:
            return hint
    return f"list what the package provides with `kt info @{root.name}`"


# --------------------------------------------------------------------------- manifests

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


def _installed_names() -> list[str]:
    base = packages_dir()
    if not base.is_dir():
        return []
    names: set[str] = set()
    for entry in base.iterdir():
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            names.add(entry.name)
        elif entry.suffix == LINK_SUFFIX and entry.is_file():
            names.add(entry.name[: -len(LINK_SUFFIX)])
    return sorted(names)


def list_packages() -> list[dict[str, Any]]:
    """Every installed package: ``name, version, description, path, editable`` (sorted by name).

    A broken editable link is listed with ``path: None`` and an ``error`` text.
    """
    out = []
    for name in _installed_names():
        try:
            root = get_package_root(name)
        except PackageError as exc:
            out.append({"name": name, "path": None, "editable": True, "error": str(exc)})
            continue
        if root is None:
            continue
        manifest = load_manifest(root)
        out.append(
            {
                "name": name,
                "version": str(manifest.get("version", "")),
                "description": manifest.get("description", "") or "",
                "path": root,
                "editable": is_editable(name),
            }
        )
    return out


def _slot_entries(manifest: dict[str, Any], *slots: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for slot in slots:
        for entry in manifest.get(slot) or []:
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def resolve_package_prompt(name: str) -> Path | None:
    """The absolute path of the prompt fragment ``name`` from installed manifests, or None.

    Searches each installed package's ``prompts:`` slot, then its ``templates:`` alias slot,
    in package-name order. This is the include resolver of the Jinja prompt environment.
    Raises PackageError when a manifest names the fragment but its file is missing.
    """
    for pkg in _installed_names():
        try:
            root = get_package_root(pkg)
        except PackageError:
            continue
        if root is None:
            continue
        for entry in _slot_entries(load_manifest(root), "prompts", "templates"):
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


def ensure_package_roots_importable() -> list[Path]:
    """Put every installed package root on ``sys.path`` (front), so pack modules import.

    Returns the roots that were added by this call.
    """
    added = []
    for pkg in _installed_names():
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


# --------------------------------------------------------------------------- install


def _is_remote(source: str) -> bool:
    return source.startswith(("http://", "https://", "git@", "ssh://", "git://")) or (
        source.endswith(".git") and not Path(source).expanduser().is_dir()
    )


def _remove_install(name: str) -> None:
    base = packages_dir()
    folder = base / name
    link = base / f"{name}{LINK_SUFFIX}"
    if link.exists() or link.is_symlink():
        link.unlink()
    if folder.is_symlink():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)


def install_package(
    source: str | os.PathLike[str],
    editable: bool = False,
    name_override: str | None = None,
) -> str:
    """Install the package folder ``source`` and return its name.

    Copies the folder to ``PACKAGES_DIR/<name>/``, or with ``editable=True`` writes
    ``PACKAGES_DIR/<name>.link`` holding its absolute path. The name comes from the manifest
    (``name_override`` wins). Reinstalling replaces the previous install of either kind. Only
    local folders are supported here: no git, no pip, no network.
    """
    text = os.fspath(source)
    if _is_remote(text):
        raise PackageError(
            f"cannot install '{text}': installing from git URLs is not supported yet; "
            "clone it and install the local folder"
        )
    src = Path(text).expanduser()
    if not src.is_dir():
        raise PackageError(
            f"cannot install '{text}': no such folder; pass a package folder holding kohaku.yaml"
        )
    src = src.resolve()
    manifest = load_manifest(src)
    name = str(name_override or manifest.get("name") or src.name).lstrip("@")
    _check_name(name)
    base = packages_dir()
    base.mkdir(parents=True, exist_ok=True)
    target = base / name
    if target.resolve() == src:
        raise PackageError(f"cannot install '{text}' over itself ({target})")
    if editable:
        _remove_install(name)
        (base / f"{name}{LINK_SUFFIX}").write_text(str(src) + "\n", encoding="utf-8")
    else:
        # Copy next to the target first so a failed copy leaves the old install in place.
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=base))
        try:
            shutil.copytree(
                src,
                staging / name,
                ignore=shutil.ignore_patterns(".git", "__pycache__", "*.pyc"),
                symlinks=True,
            )
            _remove_install(name)
            (staging / name).rename(target)
        except OSError as exc:
            raise PackageError(f"cannot copy '{src}' to {target}: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _warn_if_empty(name, src, manifest)
    logger.info("package installed", package=name, editable=editable, source=str(src))
    return name


def _warn_if_empty(name: str, src: Path, manifest: dict[str, Any]) -> None:
    slots = ("creatures", "terrariums", "tools", "plugins", "io", "triggers", "prompts", "skills")
    has_dirs = (src / "creatures").is_dir() or (src / "terrariums").is_dir()
    if not has_dirs and not any(manifest.get(s) for s in slots):
        logger.warning(
            "installed package provides no creatures, terrariums or extensions",
            package=name,
            source=str(src),
        )


def uninstall_package(name: str) -> bool:
    """Remove installed package ``name`` (copy or link); False if it was not installed."""
    name = name.lstrip("@")
    _check_name(name)
    base = packages_dir()
    if not (base / name).exists() and not (base / f"{name}{LINK_SUFFIX}").exists():
        return False
    _remove_install(name)
    return True


__all__ = [
    "LINK_SUFFIX",
    "MANIFEST_NAMES",
    "PACKAGES_DIR",
    "ensure_package_roots_importable",
    "get_package_root",
    "install_package",
    "is_editable",
    "is_package_ref",
    "list_packages",
    "load_manifest",
    "manifest_path",
    "packages_dir",
    "resolve_package_path",
    "resolve_package_prompt",
    "split_package_ref",
    "uninstall_package",
]
