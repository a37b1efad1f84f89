"""Loading creature configs: files, ``${VAR}`` interpolation, inheritance, the prompt chain.

>>> config = load_agent_config("creatures/swe")            # doctest: +SKIP
>>> config = load_agent_config("@kt-biome/creatures/swe")  # doctest: +SKIP
>>> config.tools[0].name, config.reasoning_effort          # doctest: +SKIP
('bash', 'high')

The pipeline, for the creature and each of its bases:

1. parse the file (``config.yaml|yml|json|toml`` in a folder, first match; or the file itself);
2. expand ``${VAR}`` / ``${VAR:default}`` in every string of the raw document (a missing
   variable without a default becomes ""; ``$${`` is a literal ``${``);
3. validate it (:mod:`core.config_schema`): unknown keys and wrong types raise typed errors;
4. follow ``base_config``: ``@pkg/path`` through the installed packages, ``creatures/...``
   searched upward from the child folder (10 levels), anything else relative to the child folder.
   A base that cannot be found is an error, and so is an inheritance cycle.

Then the documents merge root first (:mod:`core.config_merge`), the prompt files of the chain are
concatenated base first (``prompt_mode: replace`` starts over), an inline ``system_prompt`` is
appended last, and the ``controller:`` block is lifted onto :class:`AgentConfig` attributes.
Jinja tags in the prompt stay raw: they are rendered when the agent is built.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuterrarium.core.config_entries import (
    input_config,
    output_config,
    plugin_entry,
    subagent_entry,
    tool_entry,
    wiring_entry,
)
from kohakuterrarium.core.config_merge import entry_name, merge_documents
from kohakuterrarium.core.config_schema import (
    CONTROLLER_KEYS,
    TERRARIUM_MEMBER_KEYS,
    TRIGGER_SETUP_TOOLS,
    validate_document,
)
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import (
    BadValueError,
    ConfigError,
    MissingFileError,
    PackageError,
    UnknownToolError,
    did_you_mean,
)
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

CONFIG_FILE_NAMES: tuple[str, ...] = ("config.yaml", "config.yml", "config.json", "config.toml")
"""Names looked for in a creature folder, first match wins."""

MAX_UPWARD_LEVELS = 10
"""How far up from the child folder a ``creatures/...`` base is searched."""

_HOW_TO_POINT = "pass a creature folder holding config.yaml, a config file, or '@pkg/path'"


# --------------------------------------------------------------------------- files


def find_config_file(path: str | os.PathLike[str], *, file: Path | None = None) -> Path:
    """The config file for ``path``: the file itself, or the first config.* in the folder.

    ``@pkg/path`` references resolve through the installed packages.
    """
    text = os.fspath(path)
    if isinstance(text, str) and text.strip().strip("\"'").startswith("@"):
        from kohakuterrarium.packages import resolve_package_path

        target = resolve_package_path(text)
    else:
        target = Path(text).expanduser()
    if target.is_file():
        return target
    if target.is_dir():
        for fname in CONFIG_FILE_NAMES:
            candidate = target / fname
            if candidate.is_file():
                return candidate
        raise MissingFileError(
            f"{target} holds no creature config",
            file=str(file or target),
            hint=f"add one of {', '.join(CONFIG_FILE_NAMES)}",
        )
    raise MissingFileError(f"{target} does not exist", file=str(file or target), hint=_HOW_TO_POINT)


_PARSE_CACHE: dict[Path, tuple[int, int, Any]] = {}
_TEXT_CACHE: dict[Path, tuple[int, int, str]] = {}


def _yaml_load(text: str) -> Any:
    import yaml

    # The C loader is the same safe loader, several times faster.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def read_document(path: Path) -> Any:
    """The parsed contents of a YAML / JSON / TOML config file (cached by mtime and size).

    The returned object is shared with the cache: treat it as read-only.
    """
    stat = path.stat()
    cached = _PARSE_CACHE.get(path)
    if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return cached[2]
    text = _read_text(path, file=path, key=None)
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            data = json.loads(text)
        elif suffix == ".toml":
            import tomllib

            data = tomllib.loads(text)
        else:
            data = _yaml_load(text)
    except Exception as exc:  # each parser has its own error type; all mean "not parseable"
        raise BadValueError(
            f"cannot parse {suffix.lstrip('.') or 'yaml'}: {exc}",
            file=str(path),
            hint="fix the syntax at the position shown",
        ) from exc
    _PARSE_CACHE[path] = (stat.st_mtime_ns, stat.st_size, data)
    return data


def _read_text(path: Path, *, file: Path | str | None, key: str | None) -> str:
    try:
        stat = path.stat()
        cached = _TEXT_CACHE.get(path)
        if cached and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
            return cached[2]
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise MissingFileError(
            f"{path} does not exist", file=str(file) if file else None, key=key
        ) from exc
    except UnicodeDecodeError as exc:
        raise BadValueError(
            f"{path} is not UTF-8 text: {exc}", file=str(file) if file else None, key=key
        ) from exc
    except OSError as exc:
        raise MissingFileError(
            f"cannot read {path}: {exc}", file=str(file) if file else None, key=key
        ) from exc
    _TEXT_CACHE[path] = (stat.st_mtime_ns, stat.st_size, text)
    return text


# --------------------------------------------------------------------------- interpolation

_VAR = re.compile(r"\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


def interpolate(value: Any, env: Mapping[str, str] | None = None) -> Any:
    """Expand ``${VAR}`` / ``${VAR:default}`` in every string of ``value`` (new containers).

    >>> interpolate({"effort": "${REASONING:high}"}, env={})
    {'effort': 'high'}
    """
    env = os.environ if env is None else env

    def sub(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name, default = match.group(1), match.group(2)
        found = env.get(name)
        if found is not None:
            return found
        if default is None:
            logger.warning("config variable is not set and has no default; using ''", var=name)
            return ""
        return default

    def walk(v: Any) -> Any:
        if isinstance(v, str):
            return _VAR.sub(sub, v) if "${" in v else v
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    return walk(value)


# --------------------------------------------------------------------------- inheritance


@dataclass
class _Layer:
    """One document of an inheritance chain."""

    data: dict[str, Any]
    """The validated, normalised document."""
    folder: Path
    """Folder its relative paths resolve against."""
    file: Path | None
    """The file it came from (None for an in-memory dict)."""


def _where(file: Path | None, folder: Path) -> str:
    return str(file) if file is not None else f"<config dict in {folder}>"


def resolve_base_config(ref: str, folder: Path, file: Path | None = None) -> Path:
    """The config file a ``base_config`` value points at, seen from the child in ``folder``."""
    text = ref.strip().strip("\"'")
    where = _where(file, folder)
    if text.startswith("@"):
        try:
            return find_config_file(text, file=file)
        except PackageError as exc:
            raise PackageError(f"{where}: base_config '{text}': {exc}") from exc
        except MissingFileError as exc:
            raise MissingFileError(
                f"base '{text}' not found: {exc.message}",
                file=where,
                key="base_config",
                hint=exc.hint or f"check the package with `kt info @{text[1:].split('/')[0]}`",
            ) from exc
    if text.startswith("creatures/"):
        candidates = [folder, *folder.parents][: MAX_UPWARD_LEVELS + 1]
        target = next((d / text for d in candidates if (d / text).exists()), None)
        if target is None:
            raise MissingFileError(
                f"base '{text}' not found in {folder} or its {MAX_UPWARD_LEVELS} parent folders",
                file=where,
                key="base_config",
                hint="use a path relative to this file, or '@pkg/creatures/<name>'",
            )
    else:
        target = Path(text).expanduser()
        if not target.is_absolute():
            target = folder / target
    try:
        return find_config_file(target, file=file)
    except MissingFileError as exc:
        raise MissingFileError(
            f"base '{text}' not found: {exc.message}",
            file=where,
            key="base_config",
            hint=exc.hint or _HOW_TO_POINT,
        ) from exc


def _collect_layers(raw: Any, folder: Path, file: Path | None) -> list[_Layer]:
    """The chain of validated documents, root base first, the given document last."""
    layers: list[_Layer] = []
    seen: list[Path] = [file.resolve()] if file is not None else []
    while True:
        data = validate_document(interpolate(raw), file=_where(file, folder))
        layers.append(_Layer(data, folder, file))
        ref = data.get("base_config")
        if not ref:
            break
        base_file = resolve_base_config(ref, folder, file).resolve()
        key = base_file
        if key in seen:
            cycle = " -> ".join(str(p) for p in [*seen, key])
            raise BadValueError(
                f"inheritance cycle: {cycle}",
                file=_where(file, folder),
                key="base_config",
                hint="remove one of the base_config links",
            )
        seen.append(key)
        raw, folder, file = read_document(base_file), base_file.parent, base_file
    layers.reverse()
    return layers


def _find_along(rel: str, folders: list[Path]) -> Path | None:
    path = Path(rel).expanduser()
    if path.is_absolute():
        return path if path.is_file() else None
    return next((d / rel for d in folders if (d / rel).is_file()), None)


def _missing(layer: _Layer, key: str, rel: str, folders: list[Path]) -> MissingFileError:
    return MissingFileError(
        f"file '{rel}' not found",
        file=_where(layer.file, layer.folder),
        key=key,
        hint="looked in " + ", ".join(str(d) for d in folders),
    )


@dataclass
class _Assembled:
    """The merged document plus what the merge collected along the way."""

    merged: dict[str, Any]
    prompt_files: list[Path]
    prompt_texts: list[str]


def _assemble(layers: list[_Layer]) -> _Assembled:
    merged: dict[str, Any] = {}
    files: list[Path] = []
    texts: list[str] = []
    ancestors: list[Path] = []  # folders of the layers merged so far, nearest last
    for layer in layers:
        data = layer.data
        lookup = [layer.folder, *reversed(ancestors)]
        if ancestors and (
            data.get("prompt_mode") == "replace"
            or "system_prompt_file" in (data.get("no_inherit") or [])
        ):
            files, texts = [], []
        rel = data.get("system_prompt_file")
        if rel:
            path = _find_along(rel, lookup)
            if path is None:
                raise _missing(layer, "system_prompt_file", rel, lookup)
            path = path.resolve()
            # A child naming its base's file (found by fallback) must not repeat it.
            if path not in files:
                files.append(path)
                texts.append(_read_text(path, file=layer.file, key="system_prompt_file"))
        context = data.get("prompt_context_files")
        if context:
            resolved = {}
            for var, rel_ctx in context.items():
                found = _find_along(rel_ctx, lookup)
                if found is None:
                    raise _missing(layer, f"prompt_context_files.{var}", rel_ctx, lookup)
                resolved[var] = str(found.resolve())
            data = {**data, "prompt_context_files": resolved}
        merged = merge_documents(merged, data, CONTROLLER_KEYS)
        ancestors.append(layer.folder)
        if layer.file is not None:
            present = [k for k in TERRARIUM_MEMBER_KEYS if k in data]
            if present:
                logger.warning(
                    "terrarium-only keys in a creature file are used only inside a terrarium",
                    file=str(layer.file),
                    keys=",".join(present),
                )
    return _Assembled(merged, files, texts)


def _join_prompt(texts: list[str], inline: str | None) -> str | None:
    parts = [t.strip("\n").rstrip() for t in texts]
    if inline:
        parts.append(inline.strip("\n").rstrip())
    parts = [p for p in parts if p]
    return "\n\n".join(parts) if parts else None


# --------------------------------------------------------------------------- AgentConfig


def _check_known_tools(
    tools: list[dict[str, Any]], layers: list[_Layer], known: Collection[str]
) -> None:
    known_set = set(known)
    for entry in tools:
        kind = entry.get("type", "builtin")
        allowed = known_set | set(TRIGGER_SETUP_TOOLS) if kind == "trigger" else known_set
        if kind not in ("builtin", "trigger") or entry["name"] in allowed:
            continue
        # Name the file and index that declared it: the nearest layer listing that name.
        origin, index = layers[-1], None
        for layer in reversed(layers):
            names = [entry_name(e) for e in layer.data.get("tools") or []]
            if entry["name"] in names:
                origin, index = layer, names.index(entry["name"])
                break
        raise UnknownToolError(
            f"unknown {kind} tool '{entry['name']}'",
            file=_where(origin.file, origin.folder),
            key=f"tools[{index}]" if index is not None else "tools",
            hint=did_you_mean(entry["name"], allowed)
            or "use type: package with module/class for your own tools",
        )


_PLAIN_FIELDS = (
    "version",
    "description",
    "max_subagent_depth",
    "max_iterations",
    "sanitize_orphan_tool_calls",
    "session_key",
    "skills",
    "skill_index_budget_bytes",
    "default_plugins",
    "disable_provider_tools",
    "framework_hint_overrides",
    "compact",
    "startup_trigger",
    "termination",
    "budget",
    "memory",
    "triggers",
)


def _to_agent_config(
    assembled: _Assembled, layers: list[_Layer], known_tools: Collection[str] | None
) -> AgentConfig:
    merged = assembled.merged
    child = layers[-1]
    tools = merged.get("tools") or []
    if known_tools is not None:
        _check_known_tools(tools, layers, known_tools)
    config = AgentConfig(name=merged.get("name") or child.folder.name)
    for key in _PLAIN_FIELDS:
        if merged.get(key) is not None:
            setattr(config, key, merged[key])
    for key, value in (merged.get("controller") or {}).items():
        if value is not None:
            setattr(config, key, value)
    prompt = _join_prompt(assembled.prompt_texts, merged.get("system_prompt"))
    if prompt is not None:
        config.system_prompt = prompt
    if assembled.prompt_files:
        config.system_prompt_file = str(assembled.prompt_files[-1])
    if merged.get("prompt_context_files"):
        config.prompt_context_files = dict(merged["prompt_context_files"])
    if merged.get("input"):
        config.input = input_config(merged["input"])
    if merged.get("output"):
        config.output = output_config(merged["output"])
    config.tools = [tool_entry(d) for d in tools]
    config.subagents = [subagent_entry(d) for d in merged.get("subagents") or []]
    config.plugins = [plugin_entry(d) for d in merged.get("plugins") or []]
    config.mcp_servers = [{"transport": "stdio", **d} for d in merged.get("mcp_servers") or []]
    config.output_wiring = [wiring_entry(d) for d in merged.get("output_wiring") or []]
    config.agent_path = child.folder
    config.config_file = child.file
    dirs: list[Path] = []
    for layer in reversed(layers):
        if layer.folder not in dirs:
            dirs.append(layer.folder)
    config.base_dirs = dirs
    config.raw = merged
    return config


# --------------------------------------------------------------------------- public API


def build_agent_config(
    config_data: dict[str, Any],
    base_dir: str | os.PathLike[str],
    *,
    file: str | os.PathLike[str] | None = None,
    known_tools: Collection[str] | None = None,
) -> AgentConfig:
    """The AgentConfig for an already-parsed config dict whose relative paths start at ``base_dir``.

    Runs the whole pipeline (interpolation, validation, inheritance, prompt chain). ``file``
    only names the source in errors. With ``known_tools``, an unknown builtin tool name raises
    :class:`UnknownToolError`.
    """
    folder = Path(base_dir).expanduser().resolve()
    path = Path(file).expanduser().resolve() if file is not None else None
    layers = _collect_layers(config_data, folder, path)
    return _to_agent_config(_assemble(layers), layers, known_tools)


def load_agent_config(
    path: str | os.PathLike[str],
    *,
    known_tools: Collection[str] | None = None,
) -> AgentConfig:
    """The AgentConfig of a creature folder, a config file, or an ``@pkg/path`` reference.

    Raises a :class:`ConfigError` subclass (file, key path, hint) for any problem in the chain,
    and :class:`PackageError` for a package reference to a package that is not installed.
    """
    config_file = find_config_file(path).resolve()
    return build_agent_config(
        read_document(config_file),
        config_file.parent,
        file=config_file,
        known_tools=known_tools,
    )


def validate(
    source: str | os.PathLike[str] | dict[str, Any],
    *,
    known_tools: Collection[str] | None = None,
    base_dir: str | os.PathLike[str] | None = None,
) -> AgentConfig:
    """Load and validate a creature config (path, ``@pkg/path`` or dict); raise on any problem.

    >>> import kohakuterrarium
    >>> kohakuterrarium.validate({"name": "demo", "controller": {"temperature": 0.2}}).name
    'demo'
    """
    if isinstance(source, dict):
        return build_agent_config(
            source, base_dir if base_dir is not None else Path.cwd(), known_tools=known_tools
        )
    if not isinstance(source, (str, os.PathLike)):
        raise ConfigError(
            f"cannot validate a {type(source).__name__}", hint=_HOW_TO_POINT + ", or a dict"
        )
    return load_agent_config(source, known_tools=known_tools)


__all__ = [
    "CONFIG_FILE_NAMES",
    "MAX_UPWARD_LEVELS",
    "build_agent_config",
    "find_config_file",
    "interpolate",
    "load_agent_config",
    "read_document",
    "resolve_base_config",
    "validate",
]
