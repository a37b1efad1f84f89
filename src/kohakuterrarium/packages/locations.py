"""Where installed packages live and how ``@pkg/sub/path`` references resolve.

Installed packages sit in the packages folder: copied or cloned ones as ``<name>/``, editable
ones as ``<name>.link`` (a text file holding the absolute source path).

The folder is read at call time: a test that does
``monkeypatch.setattr(kohakuterrarium.packages, "PACKAGES_DIR", tmp)`` (or the same on this
module) redirects every function of the package. Left alone, ``$KT_CONFIG_DIR`` is re-read on
each call.

>>> split_package_ref("@kt-biome/creatures/swe")
('kt-biome', 'creatures/swe')
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import MissingFileError, PackageError

MANIFEST_NAMES = ("kohaku.yaml", "kohaku.yml")
"""File names of a package manifest, first match wins."""

LINK_SUFFIX = ".link"
"""Suffix of the text file that marks an editable install."""

INSTALL_HINT = "install it with `kt install <@name | git-url | path>` (or `kt install <path> -e`)"
"""What to tell a user whose package is not installed."""


def config_dir() -> Path:
    """The home directory of kt: ``$KT_CONFIG_DIR`` or ``~/.kohakuterrarium`` (not created)."""
    home = os.environ.get("KT_CONFIG_DIR")
    return Path(home).expanduser() if home else Path.home() / ".kohakuterrarium"


def _default_packages_dir() -> Path:
    return config_dir() / "packages"


PACKAGES_DIR: Path = _default_packages_dir()
"""The import-time packages folder; ``kohakuterrarium.packages.PACKAGES_DIR`` is the same object."""

# Identity of the import-time value, so packages_dir() can tell "monkeypatched" from "left alone".
_IMPORT_TIME_DIR = PACKAGES_DIR


def packages_dir() -> Path:
    """The packages folder now: a patched ``PACKAGES_DIR``, else ``$KT_CONFIG_DIR/packages``.

    A patch on the package (``kohakuterrarium.packages.PACKAGES_DIR``) wins over one on this
    module.
    """
    holders = (sys.modules.get("kohakuterrarium.packages"), sys.modules[__name__])
    for holder in holders:
        current = getattr(holder, "PACKAGES_DIR", _IMPORT_TIME_DIR)
        if current is not _IMPORT_TIME_DIR:
            return Path(current)
    return _default_packages_dir()


def check_name(name: str) -> None:
    """Raise PackageError unless ``name`` can be a package folder name."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or name.startswith("."):
        raise PackageError(f"'{name}' is not a valid package name (no slashes, no leading dot)")


# --------------------------------------------------------------------------- links


def link_file(name: str) -> Path:
    """The ``<name>.link`` file of an editable install (may not exist)."""
    return packages_dir() / f"{name}{LINK_SUFFIX}"


def read_link(name: str) -> Path | None:
    """The source folder an editable install of ``name`` points at, or None if not editable."""
    link = link_file(name)
    if not link.is_file():
        return None
    return Path(link.read_text(encoding="utf-8").strip()).expanduser()


def write_link(name: str, target: Path) -> Path:
    """Write ``<name>.link`` pointing at ``target``; return the link file."""
    link = link_file(name)
    link.parent.mkdir(parents=True, exist_ok=True)
    link.write_text(str(target) + "\n", encoding="utf-8")
    return link


def remove_link(name: str) -> bool:
    """Delete ``<name>.link``; False if there was none."""
    link = link_file(name)
    if link.exists() or link.is_symlink():
        link.unlink()
        return True
    return False


# --------------------------------------------------------------------------- lookup


def get_package_root(name: str) -> Path | None:
    """The folder of installed package ``name`` (copied or linked), or None if not installed.

    Raises PackageError when an editable link points at a folder that no longer exists.
    """
    name = name.lstrip("@")
    check_name(name)
    folder = packages_dir() / name
    if folder.is_dir():
        return folder
    target = read_link(name)
    if target is None:
        return None
    if not target.is_dir():
        raise PackageError(
            f"package '{name}' is an editable install pointing at {target}, which does not "
            f"exist any more; reinstall it with `kt install <path> -e` or `kt uninstall {name}`"
        )
    return target


def is_editable(name: str) -> bool:
    """Whether package ``name`` is installed as an editable link."""
    return link_file(name.lstrip("@")).is_file()


def installed_names() -> list[str]:
    """Names of every installed package (copies and links), sorted; dot-entries are skipped."""
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


def find_package_root_for_path(path: str | os.PathLike[str]) -> tuple[str, Path] | None:
    """``(name, root)`` of the installed package whose folder holds ``path``, or None."""
    target = Path(path).expanduser().resolve()
    for name in installed_names():
        try:
            root = get_package_root(name)
        except PackageError:
            continue
        if root is not None and target.is_relative_to(root.resolve()):
            return name, root
    return None


# --------------------------------------------------------------------------- references


def is_package_ref(value: Any) -> bool:
    """Whether ``value`` is an ``@pkg`` or ``@pkg/sub/path`` reference (quotes allowed)."""
    return isinstance(value, str) and value.strip().strip("\"'").startswith("@")


def split_package_ref(ref: str) -> tuple[str, str]:
    """``"@pkg/sub/path"`` -> ``("pkg", "sub/path")``; ``"@pkg"`` -> ``("pkg", "")``."""
    text = ref.strip().strip("\"'")
    if not text.startswith("@") or len(text) < 2:
        raise PackageError(f"'{ref}' is not a package reference (expected '@pkg/sub/path')")
    name, _, sub = text[1:].partition("/")
    check_name(name)
    return name, sub.strip("/")


def resolve_package_path(ref: str) -> Path:
    """The absolute path that ``@pkg/sub/path`` points at inside the installed package.

    Raises PackageError when the package is not installed, MissingFileError when the package
    has no such sub path.
    """
    name, sub = split_package_ref(ref)
    root = get_package_root(name)
    if root is None:
        raise PackageError(f"package '{name}' (from '{ref}') is not installed; {INSTALL_HINT}")
    target = (root / sub) if sub else root
    if not target.exists():
        raise MissingFileError(
            f"package '{name}' has no '{sub}' (looked at {target})",
            hint=_near_paths_hint(name, root, sub),
        )
    return target.resolve()


def _near_paths_hint(name: str, root: Path, sub: str) -> str:
    from kohakuterrarium.errors import did_you_mean

    parent = (root / sub).parent
    if parent.is_dir():
        hint = did_you_mean(Path(sub).name, [p.name for p in parent.iterdir()])
        if hint:
            return hint
    return f"list what the package provides with `kt info @{name}`"


__all__ = [
    "INSTALL_HINT",
    "LINK_SUFFIX",
    "MANIFEST_NAMES",
    "PACKAGES_DIR",
    "check_name",
    "config_dir",
    "find_package_root_for_path",
    "get_package_root",
    "installed_names",
    "is_editable",
    "is_package_ref",
    "link_file",
    "packages_dir",
    "read_link",
    "remove_link",
    "resolve_package_path",
    "split_package_ref",
    "write_link",
]
