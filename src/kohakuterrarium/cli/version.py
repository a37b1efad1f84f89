"""``kt --version [--verbose]``: the version, and with --verbose where it runs from.

Reads git metadata straight from ``.git`` (no ``git`` subprocess) so it stays fast.
"""

from __future__ import annotations

import platform
import sys
from pathlib import Path

from kohakuterrarium._version import __version__


def _package_dir() -> Path:
    return Path(__file__).resolve().parent.parent


def _source_checkout(package_dir: Path) -> Path | None:
    """The repository root when running from a source tree (``src/`` layout), else None."""
    root = package_dir.parent.parent
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def _git_commit(root: Path) -> str | None:
    """The checked-out commit of ``root`` read from ``.git``, or None when it cannot be told."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="utf-8").strip()
        if not head.startswith("ref: "):
            return head[:12] or None
        ref = head[5:]
        ref_file = git / ref
        if ref_file.is_file():
            return ref_file.read_text(encoding="utf-8").strip()[:12] or None
        for line in (git / "packed-refs").read_text(encoding="utf-8").splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0][:12]
    except OSError:
        return None
    return None


def version_lines(verbose: bool = False) -> list[str]:
    """The lines ``kt --version`` prints."""
    lines = [f"kohakuterrarium {__version__}"]
    if not verbose:
        return lines
    package_dir = _package_dir()
    checkout = _source_checkout(package_dir)
    lines.append(f"python {platform.python_version()} ({sys.executable})")
    lines.append(f"path {package_dir}")
    if checkout is None:
        lines.append("source installed package")
    else:
        lines.append(f"source checkout {checkout} (editable)")
        commit = _git_commit(checkout)
        if commit:
            lines.append(f"commit {commit}")
    return lines


def print_version(verbose: bool = False) -> None:
    """Print :func:`version_lines` to stdout."""
    print("\n".join(version_lines(verbose)))


__all__ = ["print_version", "version_lines"]
