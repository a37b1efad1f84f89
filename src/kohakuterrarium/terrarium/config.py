"""Terrarium recipes: loading and validating ``terrarium.yaml``.

>>> recipe = load_terrarium_config("terrariums/swe_team")          # doctest: +SKIP
>>> [c.name for c in recipe.creatures], [ch.name for ch in recipe.channels]  # doctest: +SKIP
(['swe', 'reviewer'], ['tasks', 'feedback', 'results', 'team_chat'])

Shape (the top-level ``terrarium:`` wrapper is optional)::

    terrarium:
      name: team                          # default "terrarium"
      root: {base_config: "@pkg/creatures/general", ...}   # optional, any creature keys
      creatures:
        - name: developer                 # required; any creature config key may follow
          base_config: ./creatures/dev/   # (legacy alias: config)
          channels: {listen: [tasks], can_send: [review], receive_own: [review]}
          output_wiring: [tester, {to: root, with_content: false}]
          privileged: true                # honoured: gets the group_* tools
      channels:
        tasks: {type: queue, description: "Incoming tasks"}
        team_chat: "Free talk"            # a string is the description (kept, Part C 21)

Rules: ``type`` is ``broadcast`` (default) or ``queue`` and the engine honours it. Relative
paths (``base_config``, ``system_prompt_file``) resolve against the recipe's folder. Listen /
send names must be declared channels, creature names (each creature has a direct channel named
after it) or ``report_to_root`` when there is a root. ``receive_own`` (a list of channel names,
or ``true`` for all) lets a creature receive its own posts on those channels; by default a
creature never sees what it sent. Every problem raises a :class:`ConfigError` naming the file
and key (with a did-you-mean for unknown keys).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kohakuterrarium.core.config import interpolate, read_document
from kohakuterrarium.core.config_entries import wiring_entry
from kohakuterrarium.core.config_schema import TERRARIUM_MEMBER_KEYS, validate_document
from kohakuterrarium.core.config_types import OutputWiringEntry
from kohakuterrarium.errors import (
    BadValueError,
    ConfigError,
    MissingFileError,
    UnknownKeyError,
    did_you_mean,
)
from kohakuterrarium.terrarium.channels import CHANNEL_TYPES

RECIPE_FILE_NAMES: tuple[str, ...] = ("terrarium.yaml", "terrarium.yml", "recipe.yaml")
"""Names looked for in a recipe folder, first match wins."""
REPORT_TO_ROOT = "report_to_root"
ROOT_ID = "root"

_TOP_KEYS = ("name", "description", "root", "creatures", "channels")
_CHANNEL_KEYS = ("type", "description")
_EDGE_KEYS = ("listen", "can_send", "receive_own")
_WIRE_KEYS = ("to", "with_content", "prompt", "prompt_format", "allow_self_trigger")


@dataclass
class ChannelSpec:
    """One declared channel of a recipe."""

    name: str
    """Channel name."""
    channel_type: str = "broadcast"
    """broadcast or queue (honoured by the engine)."""
    description: str = ""
    """What the channel is for; creatures see it."""


@dataclass
class CreatureSpec:
    """One creature entry of a recipe."""

    name: str
    """Creature name; also its id in the engine and the name of its direct channel."""
    config_data: dict[str, Any]
    """The entry as a creature config dict (``config`` renamed to ``base_config``; ``channels``
    reduced to listen / can_send so ``build_agent_config`` accepts it as is)."""
    base_dir: Path
    """Folder relative paths resolve against (the recipe's folder)."""
    listen_channels: list[str] = field(default_factory=list)
    """Channels it listens on (its direct channel is added by the engine)."""
    send_channels: list[str] = field(default_factory=list)
    """Channels it may send on."""
    receive_own: list[str] = field(default_factory=list)
    """Listened channels on which it also receives its own posts."""
    output_wiring: list[OutputWiringEntry] = field(default_factory=list)
    """Where its turn-end text goes."""
    privileged: bool = False
    """Gets the group_* management tools."""
    output_log: bool = False
    """Capture its output for status views."""
    output_log_size: int = 100
    """Entries kept with output_log."""


@dataclass
class RootSpec:
    """The recipe's root creature (privileged, listens on every channel)."""

    config_data: dict[str, Any]
    """The root's creature config dict."""
    base_dir: Path
    """Folder relative paths resolve against."""
    name: str = ROOT_ID
    """Its id in the engine."""


@dataclass
class TerrariumRecipe:
    """A loaded recipe (``load_terrarium_config``)."""

    name: str
    """Recipe name (the graph id when applied, if free)."""
    creatures: list[CreatureSpec] = field(default_factory=list)
    channels: list[ChannelSpec] = field(default_factory=list)
    root: RootSpec | None = None
    description: str = ""
    source: Path | None = None
    """The recipe file."""
    base_dir: Path = field(default_factory=Path.cwd)
    """The recipe's folder."""

    def creature(self, name: str) -> CreatureSpec:
        for spec in self.creatures:
            if spec.name == name:
                return spec
        raise KeyError(name)


def find_recipe_file(path: str | os.PathLike[str]) -> Path:
    """The recipe file for ``path``: the file itself, or the first recipe name in the folder."""
    target = Path(path).expanduser()
    if target.is_file():
        return target
    if target.is_dir():
        for name in RECIPE_FILE_NAMES:
            if (target / name).is_file():
                return target / name
        raise MissingFileError(
            f"{target} holds no terrarium recipe",
            file=str(target),
            hint=f"add one of {', '.join(RECIPE_FILE_NAMES)}",
        )
    raise MissingFileError(f"{target} does not exist", file=str(target))


def is_recipe_document(data: Any) -> bool:
    """Whether a parsed YAML document looks like a recipe (not a creature config)."""
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("terrarium"), dict):
        return True
    return "creatures" in data and ("channels" in data or "root" in data)


def load_terrarium_config(path: str | os.PathLike[str]) -> TerrariumRecipe:
    """Load and validate a recipe from a file or a folder."""
    file = find_recipe_file(path).resolve()
    return parse_recipe(read_document(file), file.parent, file=file)


def parse_recipe(
    data: Any, base_dir: str | os.PathLike[str], *, file: Path | None = None
) -> TerrariumRecipe:
    """A :class:`TerrariumRecipe` from an already-parsed document."""
    where = str(file) if file is not None else f"<recipe in {base_dir}>"
    folder = Path(base_dir).expanduser().resolve()
    if isinstance(data, dict) and "terrarium" in data:
        extra = [k for k in data if k != "terrarium"]
        if extra:
            raise UnknownKeyError(
                f"unexpected top-level key '{extra[0]}' next to 'terrarium'",
                file=where,
                key=extra[0],
                hint="move it inside the terrarium: block",
            )
        data = data["terrarium"]
    if not isinstance(data, dict):
        raise BadValueError(
            f"a terrarium recipe must be a mapping, got {type(data).__name__}", file=where
        )
    _check_keys(data, _TOP_KEYS, where, "")
    recipe = TerrariumRecipe(
        name=str(data.get("name") or "terrarium"),
        description=str(data.get("description") or ""),
        source=file,
        base_dir=folder,
    )
    recipe.channels = _parse_channels(data.get("channels"), where)
    if data.get("root") is not None:
        root = data["root"]
        if not isinstance(root, dict):
            raise BadValueError("root must be a creature config mapping", file=where, key="root")
        recipe.root = RootSpec(_creature_data(root, where, "root"), folder)
    creatures = data.get("creatures") or []
    if not isinstance(creatures, list):
        raise BadValueError("creatures must be a list", file=where, key="creatures")
    for i, entry in enumerate(creatures):
        recipe.creatures.append(_parse_creature(entry, folder, where, f"creatures[{i}]"))
    _check_references(recipe, where)
    return recipe


def _check_keys(data: dict[str, Any], known: tuple[str, ...], where: str, prefix: str) -> None:
    for key in data:
        if key not in known:
            raise UnknownKeyError(
                f"unknown key '{key}'",
                file=where,
                key=f"{prefix}{key}",
                hint=did_you_mean(str(key), known) or f"known keys: {', '.join(known)}",
            )


def _parse_channels(raw: Any, where: str) -> list[ChannelSpec]:
    if raw is None:
        return []
    items: list[tuple[str, Any]]
    if isinstance(raw, dict):
        items = list(raw.items())
    elif isinstance(raw, list):
        items = []
        for i, entry in enumerate(raw):
            if not isinstance(entry, dict) or not entry.get("name"):
                raise BadValueError(
                    "a channel list entry needs a name", file=where, key=f"channels[{i}]"
                )
            rest = {k: v for k, v in entry.items() if k != "name"}
            items.append((str(entry["name"]), rest))
    else:
        raise BadValueError(
            "channels must be a mapping of name -> spec", file=where, key="channels"
        )
    out: list[ChannelSpec] = []
    seen: set[str] = set()
    for name, spec in items:
        key = f"channels.{name}"
        if name in seen:
            raise BadValueError(f"channel '{name}' is declared twice", file=where, key=key)
        seen.add(name)
        if spec is None:
            spec = {}
        elif isinstance(spec, str):
            spec = {"description": spec}
        if not isinstance(spec, dict):
            raise BadValueError(
                "a channel is a mapping {type, description} or a description string",
                file=where,
                key=key,
            )
        _check_keys(spec, _CHANNEL_KEYS, where, f"{key}.")
        ctype = str(spec.get("type") or "broadcast")
        if ctype not in CHANNEL_TYPES:
            raise BadValueError(
                f"unknown channel type '{ctype}'",
                file=where,
                key=f"{key}.type",
                hint=did_you_mean(ctype, CHANNEL_TYPES) or "use broadcast or queue",
            )
        out.append(ChannelSpec(str(name), ctype, str(spec.get("description") or "")))
    return out


def _creature_data(entry: dict[str, Any], where: str, key: str) -> dict[str, Any]:
    data = dict(entry)
    if "config" in data:
        if data.get("base_config"):
            raise BadValueError(
                "both 'config' and 'base_config' are set",
                file=where,
                key=f"{key}.config",
                hint="'config' is the legacy alias of base_config: keep one",
            )
        data["base_config"] = data.pop("config")
    try:
        validate_document(interpolate(data), file=where)
    except ConfigError as exc:
        raise type(exc)(
            exc.message,
            file=where,
            key=f"{key}.{exc.key}" if exc.key else key,
            hint=exc.hint,
        ) from exc
    return data


def _as_names(value: Any, where: str, key: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise BadValueError("expected a list of channel names", file=where, key=key)


def _parse_creature(entry: Any, folder: Path, where: str, key: str) -> CreatureSpec:
    if not isinstance(entry, dict):
        raise BadValueError(
            "a creature entry must be a mapping with at least 'name'", file=where, key=key
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadValueError("a creature entry needs a 'name'", file=where, key=f"{key}.name")
    entry = dict(entry)
    edges = entry.pop("channels", None) or {}
    if not isinstance(edges, dict):
        raise BadValueError(
            "channels must be a mapping {listen, can_send}", file=where, key=f"{key}.channels"
        )
    _check_keys(edges, _EDGE_KEYS, where, f"{key}.channels.")
    listen = _as_names(edges.get("listen"), where, f"{key}.channels.listen")
    send = _as_names(edges.get("can_send"), where, f"{key}.channels.can_send")
    own_raw = edges.get("receive_own")
    if own_raw is True:
        own = list(listen)
    elif own_raw in (None, False):
        own = []
    else:
        own = _as_names(own_raw, where, f"{key}.channels.receive_own")
    if listen or send:
        entry["channels"] = {"listen": listen, "can_send": send}
    wiring = []
    for j, raw in enumerate(entry.get("output_wiring") or []):
        wkey = f"{key}.output_wiring[{j}]"
        if isinstance(raw, str):
            raw = {"to": raw}
        if not isinstance(raw, dict) or not raw.get("to"):
            raise BadValueError(
                "an output_wiring entry is a creature name or a mapping with 'to'",
                file=where,
                key=wkey,
            )
        _check_keys(raw, _WIRE_KEYS, where, f"{wkey}.")
        wiring.append(wiring_entry(raw))
    data = _creature_data(entry, where, key)
    size = entry.get("output_log_size")
    return CreatureSpec(
        name=name,
        config_data=data,
        base_dir=folder,
        listen_channels=listen,
        send_channels=send,
        receive_own=own,
        output_wiring=wiring,
        privileged=bool(entry.get("privileged") or False),
        output_log=bool(entry.get("output_log") or False),
        output_log_size=int(size) if size is not None else 100,
    )


def _check_references(recipe: TerrariumRecipe, where: str) -> None:
    names = [c.name for c in recipe.creatures]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise BadValueError(
            f"creature name '{sorted(dupes)[0]}' is used twice", file=where, key="creatures"
        )
    if recipe.root is not None and ROOT_ID in names:
        raise BadValueError(
            "a creature is named 'root' but the recipe also has a root",
            file=where,
            key="creatures",
            hint="rename the creature",
        )
    channels = {c.name for c in recipe.channels} | set(names)
    if recipe.root is not None:
        channels.add(REPORT_TO_ROOT)
    targets = set(names) | ({ROOT_ID} if recipe.root is not None else set())
    for i, spec in enumerate(recipe.creatures):
        for edge, values in (
            ("listen", spec.listen_channels),
            ("can_send", spec.send_channels),
            ("receive_own", spec.receive_own),
        ):
            for ch in values:
                if ch not in channels:
                    raise BadValueError(
                        f"creature '{spec.name}' names unknown channel '{ch}'",
                        file=where,
                        key=f"creatures[{i}].channels.{edge}",
                        hint=did_you_mean(ch, channels) or "declare it under channels:",
                    )
        for j, wire in enumerate(spec.output_wiring):
            if wire.to not in targets:
                raise BadValueError(
                    f"creature '{spec.name}' wires its output to unknown creature '{wire.to}'",
                    file=where,
                    key=f"creatures[{i}].output_wiring[{j}]",
                    hint=did_you_mean(wire.to, targets)
                    or ("'root' needs a root: block" if wire.to == ROOT_ID else None),
                )


def strip_member_keys(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the terrarium-only keys (channels, output_log, privileged, ...)."""
    return {k: v for k, v in data.items() if k not in TERRARIUM_MEMBER_KEYS}


__all__ = [
    "RECIPE_FILE_NAMES",
    "REPORT_TO_ROOT",
    "ROOT_ID",
    "ChannelSpec",
    "CreatureSpec",
    "RootSpec",
    "TerrariumRecipe",
    "find_recipe_file",
    "is_recipe_document",
    "load_terrarium_config",
    "parse_recipe",
    "strip_member_keys",
]
