"""Applying a recipe to an engine (``Terrarium.apply_recipe`` / ``from_recipe``).

Steps, in order (everything is built before anything starts, so a bad config leaves nothing
behind):

1. the graph: a new one named after the recipe (``name``, ``name_2``, ... if taken), or the
   given one;
2. every declared channel, with its type and description;
3. a direct channel per creature, named after it (queue: messages for that creature);
4. ``report_to_root`` (queue) when there is a root;
5. every creature, built with ``creature_id`` = its name, no input module, privileged when the
   entry says ``privileged: true``;
6. the root as creature ``root``;
7. listen edges: each creature's own direct channel plus its ``listen`` list (``receive_own``
   honoured);
8. send edges: its ``can_send`` list, plus ``report_to_root`` when there is a root;
9. the root becomes the graph root: privileged, observing every channel (a *tap* on queue
   channels: it sees every message without taking work from the consumers);
10. output wiring comes from each creature's config (``output_wiring``);
11. every creature starts; one that fails is reported and left stopped.
"""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.config import build_agent_config, load_agent_config
from kohakuterrarium.core.config_types import AgentConfig
from kohakuterrarium.errors import TerrariumError
from kohakuterrarium.terrarium.config import (
    REPORT_TO_ROOT,
    ROOT_ID,
    CreatureSpec,
    TerrariumRecipe,
    load_terrarium_config,
    strip_member_keys,
)
from kohakuterrarium.terrarium.creature_host import Creature
from kohakuterrarium.terrarium.topology import GraphTopology

if TYPE_CHECKING:
    from kohakuterrarium.terrarium.engine import Terrarium
    from kohakuterrarium.terrarium.graph_ops import GraphRef


def pick_llm(llm: Any, name: str) -> Any:
    """The model for creature ``name`` from apply_recipe's ``llm`` argument."""
    if isinstance(llm, dict):
        return llm.get(name)
    if callable(llm) and not hasattr(llm, "stream") and not hasattr(llm, "chat"):
        return llm(name)
    return llm


def _graph_name(engine: Terrarium, name: str) -> str:
    if name not in engine._graphs:
        return name
    n = 2
    while f"{name}_{n}" in engine._graphs:
        n += 1
    return f"{name}_{n}"


async def apply_recipe(
    engine: Terrarium,
    recipe: TerrariumRecipe | str | os.PathLike[str],
    *,
    graph: GraphRef = None,
    pwd: Any = None,
    llm: Any = None,
    start: bool = True,
) -> GraphTopology:
    """Run the steps of the module docstring; returns the graph's snapshot."""
    engine._check_open()
    if not isinstance(recipe, TerrariumRecipe):
        recipe = await asyncio.to_thread(load_terrarium_config, recipe)
    taken = [c.name for c in recipe.creatures if c.name in engine]
    if recipe.root is not None and ROOT_ID in engine:
        taken.append(ROOT_ID)
    if taken:
        raise TerrariumError(
            f"recipe '{recipe.name}': creature id(s) {', '.join(taken)} already exist in the "
            "engine; use another engine or remove them first"
        )
    new_graph = graph is None
    g = engine._new_graph(_graph_name(engine, recipe.name)) if new_graph else engine._graph(graph)

    # Build every agent first: a bad config raises before anything runs.
    configs = []
    try:
        for spec in recipe.creatures:
            configs.append(
                await asyncio.to_thread(
                    build_agent_config, strip_member_keys(spec.config_data), spec.base_dir
                )
            )
        root_config = None
        if recipe.root is not None:
            root_config = await asyncio.to_thread(
                build_agent_config,
                strip_member_keys(recipe.root.config_data),
                recipe.root.base_dir,
            )
    except BaseException:
        if new_graph:
            del engine._graphs[g.graph_id]
        raise

    for ch in recipe.channels:
        if ch.name not in g.channels:
            engine._create_channel(g, ch.name, ch.description, ch.channel_type)
    for spec in recipe.creatures:
        if spec.name not in g.channels:
            engine._create_channel(g, spec.name, f"Direct messages for {spec.name}", "queue")
    if recipe.root is not None and REPORT_TO_ROOT not in g.channels:
        engine._create_channel(g, REPORT_TO_ROOT, "Status reports for the root", "queue")

    created: list[Creature] = []
    try:
        for spec, config in zip(recipe.creatures, configs, strict=True):
            created.append(
                await engine.add_creature(
                    config,
                    graph=g.graph_id,
                    creature_id=spec.name,
                    llm=pick_llm(llm, spec.name),
                    pwd=pwd,
                    start=False,
                    is_privileged=spec.privileged,
                )
            )
        root = None
        if root_config is not None:
            root = await engine.add_creature(
                root_config,
                graph=g.graph_id,
                creature_id=ROOT_ID,
                llm=pick_llm(llm, ROOT_ID),
                pwd=pwd,
                start=False,
                is_privileged=True,
            )
            created.append(root)
    except BaseException:
        for c in created:
            await engine.remove_creature(c)
        if new_graph and g.graph_id in engine._graphs:
            for ch in g.channels.values():
                ch.close()
            del engine._graphs[g.graph_id]
        raise

    for spec, c in zip(recipe.creatures, created, strict=False):
        own = set(spec.receive_own)
        for name in dict.fromkeys([spec.name, *spec.listen_channels]):
            engine._add_listen(c, name, receive_own=name in own)
        sends = [*spec.send_channels, *([REPORT_TO_ROOT] if root is not None else [])]
        for name in dict.fromkeys(sends):
            engine._add_send(c, name)
    if root is not None:
        await engine.assign_root(root)
    engine._topology_changed(g, "recipe_applied")
    engine.refresh_prompts()
    if start:
        await start_all(created)
    return engine.get_graph(g.graph_id)


async def start_all(creatures: list[Creature], on_error: Callable[..., Any] | None = None) -> None:
    """Start each creature; a failure is already reported by ``Creature.start`` (error event)
    and leaves that creature crashed while the others run."""
    for c in creatures:
        try:
            await c.start()
        except TerrariumError as exc:
            if on_error is not None:
                on_error(c, exc)


async def load_creature_config(config: Any, work_dir: Path | None) -> AgentConfig:
    """The AgentConfig for ``add_creature``'s ``config`` (a fresh copy it may change)."""
    if isinstance(config, AgentConfig):
        return copy.copy(config)
    if isinstance(config, CreatureSpec):
        return await asyncio.to_thread(
            build_agent_config, strip_member_keys(config.config_data), config.base_dir
        )
    if isinstance(config, dict):
        return build_agent_config(strip_member_keys(config), work_dir or Path.cwd())
    if isinstance(config, Creature):
        # Its tools are bound to the engine hosting it: a handle cannot move.
        raise TerrariumError("add_creature takes a config, not a Creature handle")
    if isinstance(config, (str, os.PathLike)):
        return await asyncio.to_thread(load_agent_config, config)
    raise TerrariumError(
        f"cannot build a creature from a {type(config).__name__}: pass a folder, a config "
        "file, '@pkg/creatures/<name>', an AgentConfig or a dict"
    )


__all__ = ["apply_recipe", "load_creature_config", "pick_llm", "start_all"]
