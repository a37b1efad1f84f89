"""The marketplace: package indexes to search, and ``ensure("@name")`` on top of them.

Sources are listed in ``$KT_CONFIG_DIR/marketplace.yaml`` (``~/.kohakuterrarium/marketplace.yaml``)::

    sources:
      - ~/my-packs/index.yaml                 # a local file (relative: to this file's folder)
      - https://example.org/kt-index.json     # fetched over HTTP(S) with a timeout
    builtin: true                             # also the built-in index (default: true)

Each index is YAML or JSON: ``packages: [{name, description, source, version?, ref?, tags?}]``
(a bare list works too). ``source`` is what ``kt install`` takes: a git URL or a folder (relative
to a local index file). ``ref`` pins a tag or branch at install; ``version`` is shown only.

>>> ensure("@kt-biome")                         # doctest: +SKIP
PosixPath('/home/me/.kohakuterrarium/packages/kt-biome')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages.locations import check_name, config_dir, get_package_root
from kohakuterrarium.packages.source import is_url
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

MARKETPLACE_FILE = "marketplace.yaml"
"""Name of the file, in the kt home directory, that lists the index sources."""

FETCH_TIMEOUT = 10.0
"""Seconds an HTTP index may take to answer."""

MAX_INDEX_BYTES = 5_000_000
"""Largest index accepted (a runaway response must not fill memory)."""


@dataclass
class MarketplaceEntry:
    """One package an index offers."""

    name: str
    """The package name (what ``@name`` refers to)."""
    source: str
    """What gets installed: a git URL (``url@ref`` allowed) or a local folder."""
    description: str = ""
    """One line for listings."""
    version: str | None = None
    """The version the index advertises (informational)."""
    ref: str | None = None
    """A tag, branch or commit to pin at install."""
    tags: list[str] = field(default_factory=list)
    """Keywords matched by search."""
    index: str = ""
    """The index this entry came from."""


BUILTIN_INDEX: tuple[MarketplaceEntry, ...] = (
    MarketplaceEntry(
        name="kt-biome",
        source="https://github.com/Kohaku-Lab/kt-biome.git",
        description="The official pack: creatures, terrariums, plugins, tools and skills",
        tags=["official", "creatures", "terrariums"],
        index="builtin",
    ),
)
"""Entries known without any configured source (read from here, never fetched)."""


@dataclass
class Marketplace:
    """Every entry of the configured indexes, and what went wrong reading them."""

    entries: list[MarketplaceEntry] = field(default_factory=list)
    """All entries, in source order (the first of two entries with one name wins)."""
    problems: list[str] = field(default_factory=list)
    """One line per index that could not be read, or entry that was skipped."""

    def get(self, name: str) -> MarketplaceEntry | None:
        """The first entry named ``name``, or None."""
        return next((e for e in self.entries if e.name == name), None)

    def search(self, text: str = "") -> list[MarketplaceEntry]:
        """Entries whose name, description or tags contain ``text`` (case-insensitive).

        Exact name matches come first, then name matches, then the rest; one entry per name.
        """
        needle = text.strip().lower()
        seen: set[str] = set()
        ranked: list[tuple[int, int, MarketplaceEntry]] = []
        for order, entry in enumerate(self.entries):
            if entry.name in seen:
                continue
            seen.add(entry.name)
            name = entry.name.lower()
            hay = " ".join([entry.description, *entry.tags]).lower()
            if not needle or name == needle:
                rank = 0
            elif needle in name:
                rank = 1
            elif needle in hay:
                rank = 2
            else:
                continue
            ranked.append((rank, order, entry))
        return [entry for _, _, entry in sorted(ranked, key=lambda t: (t[0], t[1]))]


# --------------------------------------------------------------------------- sources


def marketplace_file() -> Path:
    """The file listing the index sources (may not exist)."""
    return config_dir() / MARKETPLACE_FILE


def _load_yaml_or_json(text: str, where: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML flow style also starts with { or [
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PackageError(f"{where}: not valid YAML or JSON: {exc}") from exc


def configured_sources() -> tuple[list[str], bool]:
    """The index locations from the marketplace file, and whether the built-in index is on.

    Relative local paths are made absolute against the file's folder. No file: ``([], True)``.
    """
    path = marketplace_file()
    if not path.is_file():
        return [], True
    data = _load_yaml_or_json(path.read_text(encoding="utf-8"), str(path))
    if data is None:
        return [], True
    if isinstance(data, list):
        data = {"sources": data}
    if not isinstance(data, dict):
        raise PackageError(f"{path}: expected a mapping with 'sources:', got {type(data).__name__}")
    raw = data.get("sources") or []
    if not isinstance(raw, list):
        raise PackageError(f"{path}: 'sources' must be a list of paths or URLs")
    sources: list[str] = []
    for item in raw:
        location = (item.get("url") or item.get("path")) if isinstance(item, dict) else item
        if not isinstance(location, str) or not location.strip():
            raise PackageError(f"{path}: every source must be a path or URL, got {item!r}")
        sources.append(_absolute(location.strip(), path.parent))
    builtin = data.get("builtin", True)
    if not isinstance(builtin, bool):
        raise PackageError(f"{path}: 'builtin' must be true or false, got {builtin!r}")
    return sources, builtin


def _is_url(location: str) -> bool:
    return location.startswith(("http://", "https://", "file://"))


def _absolute(location: str, base: Path) -> str:
    if _is_url(location):
        return location
    path = Path(location).expanduser()
    return str(path if path.is_absolute() else (base / path).resolve())


def _fetch(location: str, timeout: float) -> tuple[str, Path | None]:
    """The text of an index and, for local files, its folder (for relative sources)."""
    if location.startswith(("http://", "https://")):
        import urllib.error
        import urllib.request

        request = urllib.request.Request(location, headers={"User-Agent": "kohakuterrarium"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read(MAX_INDEX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise PackageError(
                f"cannot fetch index {location}: HTTP {exc.code} {exc.reason}"
            ) from exc
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise PackageError(f"cannot fetch index {location}: {reason}") from exc
        if len(body) > MAX_INDEX_BYTES:
            raise PackageError(f"index {location} is larger than {MAX_INDEX_BYTES} bytes")
        return body.decode("utf-8", "replace"), None
    if location.startswith("file://"):
        from urllib.parse import unquote, urlparse

        location = unquote(urlparse(location).path)
    path = Path(location)
    try:
        return path.read_text(encoding="utf-8"), path.parent
    except OSError as exc:
        raise PackageError(f"cannot read index {path}: {exc.strerror or exc}") from exc


def _entry(item: Any, location: str, folder: Path | None) -> MarketplaceEntry:
    if not isinstance(item, dict):
        raise PackageError(f"{location}: an entry is not a mapping: {item!r}")
    name, source = item.get("name"), item.get("source")
    if not isinstance(name, str) or not isinstance(source, str) or not source.strip():
        raise PackageError(f"{location}: entry {item!r} needs a 'name' and a 'source'")
    name = name.lstrip("@")
    check_name(name)
    source = source.strip()
    if folder is not None and not is_url(source) and not Path(source).expanduser().is_absolute():
        source = str((folder / Path(source).expanduser()).resolve())
    tags = item.get("tags") or []
    version = item.get("version")
    ref = item.get("ref")
    return MarketplaceEntry(
        name=name,
        source=source,
        description=str(item.get("description") or ""),
        version=str(version) if version is not None else None,
        ref=str(ref) if ref is not None else None,
        tags=[str(t) for t in tags] if isinstance(tags, list) else [str(tags)],
        index=location,
    )


def read_index(location: str, *, timeout: float = FETCH_TIMEOUT) -> Marketplace:
    """The entries of one index (a local path, ``file://`` or ``http(s)://`` URL).

    Raises PackageError when the index cannot be fetched or is not an index; a bad entry is
    skipped and reported in ``problems``.
    """
    text, folder = _fetch(location, timeout)
    data = _load_yaml_or_json(text, location)
    items = data.get("packages") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise PackageError(f"{location}: an index needs 'packages: [{{name, source, ...}}]'")
    result = Marketplace()
    for item in items:
        try:
            result.entries.append(_entry(item, location, folder))
        except PackageError as exc:
            result.problems.append(f"skipped an entry: {exc}")
    return result


def load_marketplace(
    sources: list[str] | None = None,
    *,
    builtin: bool | None = None,
    timeout: float = FETCH_TIMEOUT,
) -> Marketplace:
    """Every entry of the given (default: configured) sources, then the built-in index.

    A source that cannot be read is reported in ``problems`` (and logged), not raised.
    """
    if sources is None:
        sources, configured_builtin = configured_sources()
        if builtin is None:
            builtin = configured_builtin
    market = Marketplace()
    for location in sources:
        try:
            part = read_index(location, timeout=timeout)
        except PackageError as exc:
            logger.warning("marketplace index unavailable", index=location, error=str(exc))
            market.problems.append(str(exc))
            continue
        market.entries.extend(part.entries)
        market.problems.extend(part.problems)
    if builtin is None or builtin:
        market.entries.extend(BUILTIN_INDEX)
    return market


def search(text: str = "", *, sources: list[str] | None = None) -> list[MarketplaceEntry]:
    """Entries of the configured marketplace matching ``text`` (all of them for "")."""
    return load_marketplace(sources).search(text)


# --------------------------------------------------------------------------- install


def find_entry(name: str, *, sources: list[str] | None = None) -> MarketplaceEntry:
    """The marketplace entry for ``@name``; PackageError (saying why) when there is none."""
    name = name.strip().lstrip("@").split("/", 1)[0]
    check_name(name)
    market = load_marketplace(sources)
    entry = market.get(name)
    if entry is not None:
        return entry
    where = f" ({'; '.join(market.problems)})" if market.problems else ""
    raise PackageError(
        f"package '{name}' is not in the marketplace{where}; add an index that lists it to "
        f"{marketplace_file()}, or install it directly with `kt install <git-url | path>`"
    )


def install_from_marketplace(
    name: str, *, install_deps: bool = False, sources: list[str] | None = None
) -> str:
    """Install ``@name`` from the marketplace (replacing an existing install); return the name."""
    from kohakuterrarium.packages.install import install_package

    entry = find_entry(name, sources=sources)
    try:
        return install_package(
            entry.source, name_override=entry.name, ref=entry.ref, install_deps=install_deps
        )
    except PackageError as exc:
        raise PackageError(
            f"package '{entry.name}' from {entry.index or 'the marketplace'} could not be "
            f"installed: {exc}"
        ) from exc


def ensure(
    ref: str | os.PathLike[str], *, install_deps: bool = False, sources: list[str] | None = None
) -> Path:
    """Make sure package ``@name`` is installed and return its root (idempotent).

    Already installed (copy, clone or editable link): returns at once, touching nothing.
    Otherwise installs it from the marketplace; raises PackageError when no index lists it or
    it cannot be fetched (offline). ``"@name/sub/path"`` ensures the package ``name``.

    >>> root = ensure("@kt-biome")   # doctest: +SKIP
    """
    text = os.fspath(ref).strip().strip("\"'")
    name = text.lstrip("@").split("/", 1)[0]
    check_name(name)
    root = get_package_root(name)
    if root is not None:
        return root
    installed = install_from_marketplace(name, install_deps=install_deps, sources=sources)
    root = get_package_root(installed)
    if root is None:  # pragma: no cover - install_package just put it there
        raise PackageError(f"package '{name}' was installed but cannot be found afterwards")
    return root


__all__ = [
    "BUILTIN_INDEX",
    "FETCH_TIMEOUT",
    "MARKETPLACE_FILE",
    "Marketplace",
    "MarketplaceEntry",
    "configured_sources",
    "ensure",
    "find_entry",
    "install_from_marketplace",
    "load_marketplace",
    "marketplace_file",
    "read_index",
    "search",
]
