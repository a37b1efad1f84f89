"""Install sources: telling git URLs from folders, ``url@ref`` pins, and the install record.

Every copied or cloned install carries ``.kt-source.json`` in its folder: where it came from,
the pinned ref and the commit, so ``kt list`` can show it and ``kt update`` knows what to do.

>>> parse_source("https://example.org/pack.git@v1.2.0")
('https://example.org/pack.git', 'v1.2.0')
>>> parse_source("git@github.com:org/pack.git")
('git@github.com:org/pack.git', None)
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kohakuterrarium.errors import PackageError

RECORD_FILE = ".kt-source.json"
"""Name of the install record inside an installed package folder."""

_URL_SCHEMES = ("http://", "https://", "ssh://", "git://", "file://", "git+")
_SCP_LIKE = re.compile(r"^[\w.+-]+@[\w.-]+:(?!//)")


@dataclass
class InstallRecord:
    """Where an installed (copied or cloned) package came from."""

    kind: str
    """``git`` (a clone, can update) or ``local`` (a copy of a folder, cannot update)."""
    source: str
    """The git URL or the absolute folder path it was installed from."""
    ref: str | None = None
    """The pinned tag, branch or commit (``url@ref``), or None for the default branch."""
    ref_kind: str | None = None
    """``branch``, ``tag`` or ``commit`` for a pinned ref: a branch pin follows its branch."""
    commit: str | None = None
    """The commit checked out (git installs)."""

    @property
    def pinned(self) -> bool:
        """True when a tag or commit is pinned (update leaves it alone)."""
        return self.ref is not None and self.ref_kind != "branch"


def read_install_record(root: Path) -> InstallRecord | None:
    """The install record of the package folder ``root``, or None if it has none."""
    path = root / RECORD_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackageError(
            f"{path}: unreadable install record ({exc}); reinstall the package"
        ) from exc
    known = {f.name for f in fields(InstallRecord)}
    if not isinstance(data, dict) or not {"kind", "source"} <= data.keys():
        raise PackageError(f"{path}: malformed install record; reinstall the package")
    return InstallRecord(**{k: v for k, v in data.items() if k in known})


def write_install_record(root: Path, record: InstallRecord) -> Path:
    """Write ``record`` into the package folder ``root``; return its path."""
    path = root / RECORD_FILE
    path.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- sources


def _is_local_git_repo(path: Path) -> bool:
    """A bare repository, or a work tree without a manifest (nothing to copy but history)."""
    bare = (path / "HEAD").is_file() and (path / "objects").is_dir()
    return bare and not any((path / m).is_file() for m in ("kohaku.yaml", "kohaku.yml"))


def is_url(source: str) -> bool:
    """Whether ``source`` is a URL or ``user@host:path`` (never a local path)."""
    return source.startswith(_URL_SCHEMES) or _SCP_LIKE.match(source) is not None


def is_git_source(source: str) -> bool:
    """Whether ``source`` (without an ``@ref``) is cloned with git rather than copied.

    URLs (http(s), ssh, git, file), ``user@host:path`` and anything ending in ``.git`` that is
    not a package folder; a local bare repository counts as git too.
    """
    if is_url(source):
        return True
    path = Path(source).expanduser()
    if path.is_dir():
        return _is_local_git_repo(path)
    return source.rstrip("/").endswith(".git")


def _path_start(text: str) -> int:
    """Index where the repository path begins (after scheme and host), for ``@ref`` parsing."""
    for scheme in _URL_SCHEMES:
        if text.startswith(scheme):
            after = text.find("://")
            if after < 0:  # git+... without ://
                return len(scheme)
            slash = text.find("/", after + 3)
            return slash if slash >= 0 else len(text)
    match = _SCP_LIKE.match(text)
    if match:
        return match.end()
    return 0


def parse_source(text: str) -> tuple[str, str | None]:
    """Split ``source[@ref]`` into the source and the git ref (None when not pinned).

    Existing local paths are never split. ``…/x.git@feature/y`` pins a ref with slashes; without
    ``.git`` the ref is whatever follows the last ``@`` of the repository path.
    """
    text = text.strip()
    if Path(text).expanduser().exists():
        return text, None
    cut = text.rfind(".git@")
    if cut >= 0:
        source, ref = text[: cut + 4], text[cut + 5 :]
    else:
        start = _path_start(text)
        at = text.rfind("@", start)
        if at <= start or not is_git_source(text[:at]):
            return text, None
        source, ref = text[:at], text[at + 1 :]
    if not ref:
        raise PackageError(f"'{text}' ends with '@' but names no ref; write <url>@<tag|branch>")
    return source, ref


__all__ = [
    "RECORD_FILE",
    "InstallRecord",
    "is_git_source",
    "is_url",
    "parse_source",
    "read_install_record",
    "write_install_record",
]
