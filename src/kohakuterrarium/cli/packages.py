"""``kt install | uninstall | update | list | info | marketplace search``.

Every handler takes the parsed argparse namespace and returns an exit code. Package errors are
typed (:class:`~kohakuterrarium.errors.PackageError`) and printed by ``kt`` as one line. Output
is plain text for people, or JSON with ``--json`` (``kt list``, ``kt info``). ``kt list`` reads
only manifests and folder names: it never loads creature configs, so it stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kohakuterrarium.cli import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from kohakuterrarium.errors import PackageError

_CONFIG_NAMES = ("config.yaml", "config.yml", "config.json", "config.toml")
_RECIPE_NAMES = ("terrarium.yaml", "terrarium.yml", "recipe.yaml")
_LOCAL_CREATURE_DIRS = ("creatures", "agents")


def _quiet_library_logs() -> None:
    # The commands print their own notes; the library's warnings would repeat them on stderr.
    from kohakuterrarium.utils.logging import set_level

    set_level("ERROR")


def _err(command: str, text: str) -> None:
    print(f"kt {command}: {text}", file=sys.stderr)


# --------------------------------------------------------------------------- install / uninstall


def cmd_install(args: argparse.Namespace) -> int:
    """``kt install <@name | git-url[@ref] | path> [-e] [--name N] [--deps]``."""
    from kohakuterrarium import packages
    from kohakuterrarium.packages.manifest import has_content

    _quiet_library_logs()
    source: str = args.source
    if source.startswith("@"):
        if args.editable:
            _err("install", "-e links a local folder; it cannot be used with @name")
            return EXIT_USAGE
        if args.name:
            _err("install", "--name cannot rename a marketplace package (@name is its name)")
            return EXIT_USAGE
        name = packages.install_from_marketplace(source, install_deps=args.deps)
    else:
        name = packages.install_package(
            source, editable=args.editable, name_override=args.name, install_deps=args.deps
        )
    root = packages.get_package_root(name)
    assert root is not None  # just installed
    how = "editable link to" if packages.is_editable(name) else "at"
    manifest = packages.load_manifest(root)
    version = f" {manifest['version']}" if manifest.get("version") else ""
    print(f"installed {name}{version} ({how} {root})")
    record = None if packages.is_editable(name) else packages.read_install_record(root)
    if record is not None and record.kind == "git":
        pin = f" pinned at {record.ref}" if record.ref else ""
        print(f"  from {record.source}{pin} ({(record.commit or '')[:10]})")
    _print_contents(root, manifest, indent="  ")
    if not has_content(root, manifest):
        print(
            "  note: it provides no creatures, terrariums or extensions (is kohaku.yaml complete?)"
        )
    plan = packages.dependency_plan(root, manifest)
    if not plan.empty:
        if args.deps:
            print(f"  installed Python dependencies: {plan.describe()}")
        else:
            print(f"  needs Python packages: {plan.describe()}")
            print(
                "  (not installed; run again with --deps, or: " + " ".join(plan.pip_command()) + ")"
            )
    return EXIT_OK


def cmd_uninstall(args: argparse.Namespace) -> int:
    """``kt uninstall NAME``."""
    from kohakuterrarium import packages

    name = args.name.lstrip("@")
    if not packages.uninstall_package(name):
        raise PackageError(f"package '{name}' is not installed; see `kt list`")
    print(f"uninstalled {name}")
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    """``kt update [NAME | --all] [--ref REF]``."""
    from kohakuterrarium import packages

    _quiet_library_logs()
    if bool(args.target) == bool(args.all):
        _err("update", "name one package, or pass --all (not both)")
        return EXIT_USAGE
    if args.all and args.ref:
        _err("update", "--ref moves the pin of one package; it cannot be used with --all")
        return EXIT_USAGE
    if args.all:
        results = packages.update_all()
        if not results:
            print("no packages installed")
    else:
        results = [packages.update_package(args.target, args.ref)]
    failed = False
    for result in results:
        if result.status == "error":
            failed = True
            _err("update", result.message)
        else:
            print(result.message)
    return EXIT_ERROR if failed else EXIT_OK


# --------------------------------------------------------------------------- list


def _names(entries: list[dict[str, str]]) -> str:
    return ", ".join(e["name"] for e in entries) or "-"


def _print_contents(root: Path, manifest: dict[str, Any], indent: str) -> None:
    from kohakuterrarium.packages import package_contents

    for slot in ("creatures", "terrariums"):
        entries = package_contents(root, manifest, slot)
        if entries:
            print(f"{indent}{slot}: {_names(entries)}")


def _local_folders(base: Path, dirs: tuple[str, ...], markers: tuple[str, ...]) -> list[Path]:
    found = []
    for name in dirs:
        folder = base / name
        if not folder.is_dir():
            continue
        for sub in sorted(folder.iterdir()):
            if sub.is_dir() and any((sub / m).is_file() for m in markers):
                found.append(sub)
    return found


def _source_text(info: dict[str, Any]) -> str:
    kind = info.get("kind")
    if kind == "git":
        pin = f"@{info['ref']}" if info.get("ref") else ""
        commit = f" {info['commit'][:10]}" if info.get("commit") else ""
        return f"git {info['source']}{pin}{commit}"
    if kind == "editable":
        return f"editable {info['path']}"
    return f"copy of {info['source']}" if info.get("source") else "copy"


def _package_rows(pkgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from kohakuterrarium.packages import load_manifest, package_contents

    rows = []
    for info in pkgs:
        row = {k: (str(v) if isinstance(v, Path) else v) for k, v in info.items()}
        if info.get("path") is not None:
            root = Path(info["path"])
            try:
                manifest = load_manifest(root)
            except PackageError as exc:
                row["error"] = str(exc)
                manifest = {}
            row["creatures"] = package_contents(root, manifest, "creatures")
            row["terrariums"] = package_contents(root, manifest, "terrariums")
        rows.append(row)
    return rows


def cmd_list(args: argparse.Namespace) -> int:
    """``kt list [--path DIR] [--json]``: installed packages, then local creature folders."""
    from kohakuterrarium.packages import list_packages, packages_dir

    rows = _package_rows(list_packages())
    base = Path.cwd()
    dirs = (str(Path(args.path).expanduser()),) if args.path else _LOCAL_CREATURE_DIRS
    creatures = _local_folders(base, dirs, _CONFIG_NAMES)
    recipes = _local_folders(base, ("terrariums",), _RECIPE_NAMES)
    if args.json:
        local = [{"name": p.name, "path": str(p), "kind": "creature"} for p in creatures]
        local += [{"name": p.name, "path": str(p), "kind": "terrarium"} for p in recipes]
        json.dump({"packages": rows, "local": local}, sys.stdout, indent=2)
        print()
        return EXIT_OK
    if not rows:
        print(f"no packages installed in {packages_dir()}")
        print("  (install one with `kt install <@name | git-url | path>`)")
    else:
        print(f"packages ({len(rows)}) in {packages_dir()}:")
    for row in rows:
        if row.get("path") is None or row.get("error"):
            print(f"  {row['name']}  [broken] {row.get('error', '')}")
            if row.get("path") is None:
                continue
        version = f" {row['version']}" if row.get("version") else ""
        print(f"  {row['name']}{version}  [{_source_text(row)}]")
        if row.get("description"):
            print(f"      {row['description']}")
        for slot in ("creatures", "terrariums"):
            if row.get(slot):
                print(f"      {slot}: {_names(row[slot])}")
    for title, found in (("creatures", creatures), ("terrariums", recipes)):
        if found:
            print(f"local {title} ({len(found)}):")
            for folder in found:
                shown = folder.relative_to(base) if folder.is_relative_to(base) else folder
                print(f"  {folder.name}  {shown}")
    return EXIT_OK


# --------------------------------------------------------------------------- info


def _resolve_target(ref: str) -> Path:
    from kohakuterrarium.errors import MissingFileError
    from kohakuterrarium.packages import is_package_ref, resolve_package_path

    if is_package_ref(ref):
        return resolve_package_path(ref)
    path = Path(ref).expanduser()
    if not path.exists():
        raise MissingFileError(
            f"{ref} does not exist",
            hint="give a creature folder, its config file, a recipe, or @package/path",
        )
    return path.resolve()


def _is_package_root(path: Path) -> bool:
    from kohakuterrarium.packages import manifest_path

    return (
        path.is_dir()
        and manifest_path(path) is not None
        and not any((path / n).is_file() for n in _CONFIG_NAMES)
    )


def _is_recipe(path: Path) -> bool:
    if path.is_dir():
        return any((path / n).is_file() for n in _RECIPE_NAMES) and not any(
            (path / n).is_file() for n in _CONFIG_NAMES
        )
    return path.name in _RECIPE_NAMES


def _package_info(path: Path) -> dict[str, Any]:
    from kohakuterrarium.packages import (
        find_package_root_for_path,
        load_manifest,
        package_contents,
        slot_entries,
    )

    manifest = load_manifest(path)
    found = find_package_root_for_path(path)
    info: dict[str, Any] = {
        "kind": "package",
        "name": found[0] if found else manifest.get("name"),
        "version": str(manifest.get("version", "") or ""),
        "description": manifest.get("description", "") or "",
        "path": str(path),
        "creatures": package_contents(path, manifest, "creatures"),
        "terrariums": package_contents(path, manifest, "terrariums"),
    }
    for slot in ("tools", "plugins", "io", "triggers", "prompts", "skills"):
        info[slot] = [str(e.get("name")) for e in slot_entries(manifest, slot)]
    return info


def _recipe_info(path: Path) -> dict[str, Any]:
    from kohakuterrarium.terrarium.config import load_terrarium_config

    recipe = load_terrarium_config(path)
    return {
        "kind": "terrarium",
        "name": recipe.name,
        "description": recipe.description,
        "path": str(recipe.source or path),
        "root": recipe.root is not None,
        "creatures": [spec.name for spec in recipe.creatures],
        "channels": [f"{c.name} ({c.channel_type})" for c in recipe.channels],
    }


def _creature_info(path: Path) -> dict[str, Any]:
    from kohakuterrarium.core.config import load_agent_config

    config = load_agent_config(path)
    model = config.llm or config.model
    tool_format = config.tool_format if isinstance(config.tool_format, str) else "custom"
    prompt = config.system_prompt or ""
    return {
        "kind": "creature",
        "name": config.name,
        "description": config.description,
        "path": str(config.config_file or path),
        "inherits": [str(folder) for folder in config.base_dirs[1:]],
        "model": model or "(default)",
        "tool_format": tool_format,
        "tools": [t.name if t.type == "builtin" else f"{t.name} ({t.type})" for t in config.tools],
        "subagents": [s.name for s in config.subagents],
        "plugins": [str(p.get("name") or p.get("class") or "?") for p in config.plugins],
        "skills": list(config.skills),
        "prompt_chars": len(prompt),
        "prompt_lines": prompt.count("\n") + 1 if prompt else 0,
    }


_LABELS = {
    "version": "version",
    "description": "description",
    "path": "path",
    "inherits": "inherits",
    "model": "model",
    "tool_format": "tool format",
    "tools": "tools",
    "subagents": "sub-agents",
    "plugins": "plugins",
    "skills": "skills",
    "creatures": "creatures",
    "terrariums": "terrariums",
    "channels": "channels",
    "io": "io",
    "triggers": "triggers",
    "prompts": "prompts",
}


def _show(value: Any) -> str:
    if isinstance(value, list):
        names = [v["name"] if isinstance(v, dict) else str(v) for v in value]
        return f"{', '.join(names)} ({len(names)})" if names else "-"
    return str(value) if value not in (None, "") else "-"


def cmd_info(args: argparse.Namespace) -> int:
    """``kt info <ref> [--json]``: a creature (config fully loaded), a recipe or a package."""
    path = _resolve_target(args.ref)
    if _is_package_root(path):
        info = _package_info(path)
    elif _is_recipe(path):
        info = _recipe_info(path)
    else:
        info = _creature_info(path)
    if args.json:
        json.dump(info, sys.stdout, indent=2)
        print()
        return EXIT_OK
    print(f"{info['kind']}: {info['name']}")
    for key, label in _LABELS.items():
        if key not in info or (key == "inherits" and not info[key]):
            continue
        if key in ("io", "triggers", "prompts") and not info[key]:
            continue
        print(f"  {label + ':':<13}{_show(info[key])}")
    if info["kind"] == "creature":
        print(f"  {'prompt:':<13}{info['prompt_chars']} chars, {info['prompt_lines']} lines")
    return EXIT_OK


# --------------------------------------------------------------------------- marketplace


def cmd_marketplace_search(args: argparse.Namespace) -> int:
    """``kt marketplace search [TEXT]``: entries of the configured indexes."""
    from kohakuterrarium.packages import get_package_root, load_marketplace
    from kohakuterrarium.packages.marketplace import marketplace_file

    _quiet_library_logs()
    market = load_marketplace()
    for problem in market.problems:
        _err("marketplace search", f"warning: {problem}")
    found = market.search(args.text or "")
    if not found:
        what = f"match '{args.text}'" if args.text else "are listed"
        print(f"no packages {what} (indexes are configured in {marketplace_file()})")
        return EXIT_ERROR if market.problems else EXIT_OK
    for entry in found:
        version = f" {entry.version}" if entry.version else ""
        try:
            installed = get_package_root(entry.name) is not None
        except PackageError:
            installed = True  # a broken editable link is still "installed" under that name
        mark = "  [installed]" if installed else ""
        print(f"{entry.name}{version}{mark}")
        if entry.description:
            print(f"    {entry.description}")
        pin = f"@{entry.ref}" if entry.ref else ""
        print(f"    source: {entry.source}{pin}")
        if entry.tags:
            print(f"    tags: {', '.join(entry.tags)}")
    return EXIT_OK


__all__ = [
    "cmd_info",
    "cmd_install",
    "cmd_list",
    "cmd_marketplace_search",
    "cmd_uninstall",
    "cmd_update",
]
