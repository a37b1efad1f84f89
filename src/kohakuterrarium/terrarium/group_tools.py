"""Group tools: how creatures act on their graph, and the runtime-graph prompt block.

Every engine creature gets ``send_channel`` and ``group_send``; privileged creatures (a recipe's
root, ``privileged: true`` members, ``is_privileged=True``) also get ``group_add_node``,
``group_remove_node``, ``group_start_node``, ``group_stop_node``, ``group_channel``,
``group_wire`` and ``group_status``. The engine registers them before the system prompt is
built, so the prompt lists them (Part C 25).

The pack roots' tool names are real tools too (privileged only, in :mod:`.root_tools`), mapped
onto the engine:

======================  =========================================================================
``terrarium_create``    ``config_path*, name?, listen?: [..], can_send?: [..], llm?, pwd?``: spawn
                        a creature into the caller's graph and wire its channels.
``terrarium_status``    ``include_history?, history_limit?``: same report as ``group_status``.
``terrarium_stop``      ``creature_id?``: stop that creature, or every non-privileged one.
``terrarium_send``      ``channel*, message*, metadata?, reply_to?``: post on any channel of the
                        graph (no send edge needed).
``terrarium_observe``   ``channel*, timeout? (s, default 10, max 55), limit? (default 20)``: wait
                        for the next messages posted on the channel and return them.
``terrarium_history``   ``channel*, limit? (default 20)``: the channel's recent messages.
``creature_start``      ``creature_id*``: start a stopped creature.
``creature_stop``       ``creature_id*``: stop a creature.
======================  =========================================================================

Every tool finds its caller through ``context.environment`` (a
:class:`~.creature_host.CreatureEnvironment`), so the classes are also registered as builtins
and a root config that declares them loads. Results are JSON text; refusals are ``ToolResult``
errors that say what to do instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import KTError
from kohakuterrarium.modules.tool.base import BaseTool, ExecutionMode, ToolResult
from kohakuterrarium.modules.tool.catalog import register_builtin

if TYPE_CHECKING:
    from kohakuterrarium.modules.tool.base import ToolContext
    from kohakuterrarium.terrarium.creature_host import Creature, CreatureEnvironment
    from kohakuterrarium.terrarium.engine import Terrarium

BASIC_TOOLS = ("send_channel", "group_send")
PRIVILEGED_TOOLS = (
    "group_add_node",
    "group_remove_node",
    "group_start_node",
    "group_stop_node",
    "group_channel",
    "group_wire",
    "group_status",
)
MAX_LISTED_CREATURES = 50
"""The runtime-graph block of a privileged creature names at most this many members."""

_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_INT = {"type": "integer"}
_STR_LIST = {"type": "array", "items": {"type": "string"}}


def _schema(required: tuple[str, ...], **props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": list(required)}


def _p(base: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {**base, "description": description, **extra}


def _flag(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _names(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


class GraphToolError(Exception):
    """A refusal the model should read: message plus what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class _GraphTool(BaseTool):
    """Base of the group tools: finds the caller, checks privilege, returns JSON."""

    needs_context = True
    privileged_only = False
    parameters: dict[str, Any] = {}

    def __init__(self, config: Any = None, *, environment: CreatureEnvironment | None = None):
        super().__init__(config)
        self._environment = environment

    @property
    def execution_mode(self) -> ExecutionMode:
        return ExecutionMode.DIRECT

    def get_parameters_schema(self) -> dict[str, Any]:
        return self.parameters

    async def _execute(self, args: dict[str, Any], **kwargs: Any) -> ToolResult:
        context: ToolContext | None = kwargs.get("context")
        env = self._environment or getattr(context, "environment", None)
        if not (hasattr(env, "engine") and hasattr(env, "creature_id")):
            return ToolResult(
                error=f"{self.tool_name} only works inside a terrarium "
                "(run the creature with Terrarium.add_creature or a recipe)"
            )
        engine: Terrarium = env.engine  # type: ignore[union-attr]
        try:
            caller = engine.get_creature(env.creature_id)  # type: ignore[union-attr]
            if self.privileged_only and not caller.is_privileged:
                raise GraphToolError(
                    f"{self.tool_name} needs a privileged creature; '{caller.creature_id}' is not",
                    "ask the root (group_send to it) to do this for you",
                )
            result = await self.run(engine, caller, args)
        except GraphToolError as exc:
            return ToolResult(error=f"{exc} (hint: {exc.hint})" if exc.hint else str(exc))
        except KTError as exc:
            return ToolResult(error=str(exc))
        return ToolResult(output=json.dumps(result, ensure_ascii=False, default=str))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        raise NotImplementedError

    @staticmethod
    def _require(args: dict[str, Any], *names: str) -> None:
        missing = [n for n in names if args.get(n) in (None, "")]
        if missing:
            raise GraphToolError(f"missing argument(s): {', '.join(missing)}")

    @staticmethod
    def _member(engine: Terrarium, caller: Creature, creature_id: str) -> Creature:
        if creature_id not in engine:
            graph = engine._graph_of(caller)
            raise GraphToolError(
                f"no creature '{creature_id}'",
                "creatures in your graph: " + ", ".join(graph.creatures),
            )
        target = engine.get_creature(creature_id)
        if target.graph_id != caller.graph_id:
            raise GraphToolError(f"creature '{creature_id}' is not in your graph")
        return target

    def _managed(self, engine: Terrarium, caller: Creature, creature_id: str) -> Creature:
        target = self._member(engine, caller, creature_id)
        if target.is_privileged:
            raise GraphToolError(
                f"{self.tool_name} acts only on non-privileged creatures; '{creature_id}' is "
                "privileged"
            )
        return target


# --------------------------------------------------------------------------- every creature


@register_builtin("send_channel")
class SendChannelTool(_GraphTool):
    tool_name = "send_channel"
    description = "Send a message on a channel of your terrarium graph (needs a send edge)."
    parameters = _schema(
        ("channel", "message"),
        channel=_p(_STR, "Channel name."),
        message=_p(_STR, "Message text."),
        metadata=_p({"type": "object"}, "Optional data that travels with the message."),
        reply_to=_p(_STR, "Id of the message this one answers."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "channel", "message")
        channel = str(args["channel"])
        if channel not in caller.send:
            graph = engine._graph_of(caller)
            exists = channel in graph.channels
            what = "has no send edge on" if exists else "cannot send on unknown channel"
            hint = (
                "you are privileged: wire yourself first with group_channel(action='wire', "
                f"channel='{channel}', direction='send')"
                if caller.is_privileged
                else "ask the root to wire you (group_send to it), or use one of: "
                + (", ".join(caller.send) or "(none)")
            )
            raise GraphToolError(f"'{caller.creature_id}' {what} '{channel}'", hint)
        msg = await engine._creature_send(
            caller,
            channel,
            args["message"],
            metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
            reply_to=args.get("reply_to") or None,
        )
        return {"sent": True, "channel": channel, "message_id": msg.message_id}

    def prompt_contribution(self) -> str | None:
        env = self._environment
        if env is None or env.creature_id not in env.engine:
            return None
        return runtime_graph_block(env.engine, env.engine.get_creature(env.creature_id))


@register_builtin("group_send")
class GroupSendTool(_GraphTool):
    tool_name = "group_send"
    description = "Send a direct message to one creature (non-privileged: only to privileged)."
    parameters = _schema(
        ("to", "message"),
        to=_p(_STR, "Creature id to deliver to."),
        message=_p(_STR, "Message text."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "to", "message")
        target = self._member(engine, caller, str(args["to"]))
        if not caller.is_privileged and not target.is_privileged:
            raise GraphToolError(
                f"'{caller.creature_id}' may send directly only to privileged creatures",
                "use send_channel for peers",
            )
        delivered, message_id = await engine.send_direct(caller, target, str(args["message"]))
        return {"delivered": delivered, "to": target.creature_id, "message_id": message_id}


# --------------------------------------------------------------------------- privileged


@register_builtin("group_add_node")
class GroupAddNodeTool(_GraphTool):
    tool_name = "group_add_node"
    description = "Spawn a creature into your graph (it starts disconnected; wire it after)."
    privileged_only = True
    parameters = _schema(
        ("config_path",),
        config_path=_p(_STR, "Creature folder, config file or @pkg/creatures/<name>."),
        name=_p(_STR, "Creature id (default: the config name)."),
        llm=_p(_STR, "Model profile (default: the config's)."),
        pwd=_p(_STR, "Working directory (default: yours)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "config_path")
        child = await spawn_creature(engine, caller, args)
        return {
            "creature_id": child.creature_id,
            "graph_id": child.graph_id,
            "name": child.name,
            "parent": caller.creature_id,
            "running": child.is_running,
        }


async def spawn_creature(engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Creature:
    """group_add_node / terrarium_create: a child of ``caller`` in its graph."""
    base = caller.agent.pwd
    ref = str(args["config_path"])
    if not ref.startswith("@") and not Path(ref).expanduser().is_absolute():
        candidate = base / ref
        if candidate.exists():
            ref = str(candidate)
    pwd = args.get("pwd")
    work = (base / str(pwd)) if pwd else base
    return await engine.add_creature(
        ref,
        graph=caller.graph_id,
        creature_id=args.get("name") or None,
        llm=args.get("llm") or None,
        pwd=work,
        parent_creature_id=caller.creature_id,
    )


@register_builtin("group_remove_node")
class GroupRemoveNodeTool(_GraphTool):
    tool_name = "group_remove_node"
    description = "Stop and remove a non-privileged creature of your graph."
    privileged_only = True
    parameters = _schema(("creature_id",), creature_id=_p(_STR, "Creature to remove."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "creature_id")
        target = self._managed(engine, caller, str(args["creature_id"]))
        await engine.remove_creature(target)
        return {"removed": target.creature_id}


@register_builtin("group_start_node")
class GroupStartNodeTool(_GraphTool):
    tool_name = "group_start_node"
    description = "Start a stopped non-privileged creature of your graph."
    privileged_only = True
    parameters = _schema(("creature_id",), creature_id=_p(_STR, "Creature to start."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "creature_id")
        target = self._managed(engine, caller, str(args["creature_id"]))
        await target.start()
        return {"creature_id": target.creature_id, "running": target.is_running}


@register_builtin("group_stop_node")
class GroupStopNodeTool(_GraphTool):
    tool_name = "group_stop_node"
    description = "Stop a non-privileged creature of your graph (it keeps its history)."
    privileged_only = True
    parameters = _schema(("creature_id",), creature_id=_p(_STR, "Creature to stop."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "creature_id")
        target = self._managed(engine, caller, str(args["creature_id"]))
        await target.stop()
        return {"creature_id": target.creature_id, "running": target.is_running}


@register_builtin("group_channel")
class GroupChannelTool(_GraphTool):
    tool_name = "group_channel"
    description = "Create / delete a channel, or wire / unwire a creature's send or listen edge."
    privileged_only = True
    parameters = _schema(
        ("action", "channel"),
        action=_p(_STR, "What to do.", enum=["create", "delete", "wire", "unwire"]),
        channel=_p(_STR, "Channel name."),
        description=_p(_STR, "What the channel is for (create)."),
        channel_type=_p(
            _STR, "broadcast (default) or queue (create).", enum=["broadcast", "queue"]
        ),
        creature_id=_p(_STR, "Creature to wire / unwire (default: you)."),
        direction=_p(_STR, "Edge to wire / unwire (default listen).", enum=["send", "listen"]),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "action", "channel")
        action, channel = str(args["action"]), str(args["channel"])
        if action == "create":
            info = await engine.add_channel(
                caller.graph_id,
                channel,
                description=str(args.get("description") or ""),
                channel_type=str(args.get("channel_type") or "broadcast"),
            )
            return {"created": info.name, "type": info.channel_type}
        if action == "delete":
            return {"deleted": await engine.remove_channel(caller.graph_id, channel)}
        if action not in ("wire", "unwire"):
            raise GraphToolError(f"unknown action '{action}'", "use create, delete, wire or unwire")
        who = str(args.get("creature_id") or caller.creature_id)
        target = self._member(engine, caller, who) if who != caller.creature_id else caller
        direction = str(args.get("direction") or "listen")
        if direction not in ("send", "listen"):
            raise GraphToolError(f"unknown direction '{direction}'", "use send or listen")
        if action == "wire":
            await engine.wire_channel(target, channel, direction=direction)
        else:
            await engine.unwire_channel(target, channel, direction=direction)
        return {action: channel, "creature_id": target.creature_id, "direction": direction}


@register_builtin("group_wire")
class GroupWireTool(_GraphTool):
    tool_name = "group_wire"
    description = "Add or remove an output wire (a creature's turn-end text sent to another)."
    privileged_only = True
    parameters = _schema(
        ("action",),
        action=_p(_STR, "add or remove.", enum=["add", "remove"]),
        to=_p(_STR, "Target creature id or 'root' (add)."),
        **{"from": _p(_STR, "Source creature id (default: you).")},
        with_content=_p(_BOOL, "Send the text (false: a turn-end ping). Default true."),
        prompt=_p(_STR, "Prompt template ({source}, {content}, {target}, {turn_index})."),
        prompt_format=_p(_STR, "simple or jinja.", enum=["simple", "jinja"]),
        allow_self_trigger=_p(_BOOL, "Allow a wire to the source itself."),
        edge_id=_p(_STR, "Wire to remove (remove)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "action")
        action = str(args["action"])
        if action == "remove":
            self._require(args, "edge_id")
            return {"removed": await engine.unwire_output(str(args["edge_id"]))}
        if action != "add":
            raise GraphToolError(f"unknown action '{action}'", "use add or remove")
        self._require(args, "to")
        source_id = str(args.get("from") or caller.creature_id)
        source = self._member(engine, caller, source_id)
        target = str(args["to"])
        if target != "root":
            self._member(engine, caller, target)
        edge_id = await engine.wire_output(
            source,
            target,
            with_content=_flag(args.get("with_content"), True),
            prompt=args.get("prompt") or None,
            prompt_format=str(args.get("prompt_format") or "simple"),
            allow_self_trigger=_flag(args.get("allow_self_trigger")),
        )
        return {"edge_id": edge_id, "from": source.creature_id, "to": target}


@register_builtin("group_status")
class GroupStatusTool(_GraphTool):
    tool_name = "group_status"
    description = "Report your graph: creatures, channels (optionally their history), wires."
    privileged_only = True
    parameters = _schema(
        (),
        include_history=_p(_BOOL, "Add each channel's recent messages."),
        history_limit=_p(_INT, "Messages per channel with include_history (default 10)."),
        include_spawnable=_p(_BOOL, "List creature configs from installed packages."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        return graph_report(
            engine,
            caller,
            include_history=_flag(args.get("include_history")),
            history_limit=int(args.get("history_limit") or 10),
            include_spawnable=_flag(args.get("include_spawnable")),
        )


def graph_report(
    engine: Terrarium,
    caller: Creature,
    *,
    include_history: bool = False,
    history_limit: int = 10,
    include_spawnable: bool = False,
) -> dict[str, Any]:
    """The JSON report of ``group_status`` / ``terrarium_status``."""
    graph = engine._graph_of(caller)
    channels = []
    for ch in graph.channels.values():
        info = ch.info()
        if include_history:
            recent = list(ch.history)[-max(0, history_limit) :] if history_limit > 0 else []
            info["history"] = [message_dict(m) for m in recent]
        channels.append(info)
    report: dict[str, Any] = {
        "graph_id": graph.graph_id,
        "you": caller.creature_id,
        "root": graph.root_id,
        "creatures": [
            {
                "creature_id": c.creature_id,
                "name": c.name,
                "state": c.state,
                "processing": c.is_processing,
                "privileged": c.is_privileged,
                "parent": c.parent_creature_id,
                "listen": c.listen_channels,
                "send": c.send_channels,
            }
            for c in graph.creatures.values()
        ],
        "channels": channels,
        "wires": [e.to_dict() for cid in graph.creatures for e in engine.list_output_wiring(cid)],
    }
    if include_spawnable:
        report["spawnable"] = spawnable_creatures()
    return report


def spawnable_creatures() -> list[str]:
    """``@pkg/creatures/<name>`` for every creature of every installed package."""
    try:
        from kohakuterrarium.packages import list_packages, load_manifest
    except ImportError:
        return []
    out = []
    for pkg in list_packages():
        if not pkg.get("path"):
            continue
        for entry in load_manifest(pkg["path"]).get("creatures") or []:
            name = entry.get("name") if isinstance(entry, dict) else entry
            if name:
                out.append(f"@{pkg['name']}/creatures/{name}")
    return out


def message_dict(msg: Any) -> dict[str, Any]:
    return {
        "message_id": msg.message_id,
        "channel": msg.channel,
        "sender": msg.sender,
        "content": msg.content,
        "reply_to": msg.reply_to,
        "timestamp": msg.timestamp,
    }


# --------------------------------------------------------------------------- runtime-graph block


def runtime_graph_block(engine: Terrarium, creature: Creature) -> str:
    """The ``<!-- runtime-graph -->`` block of ``creature``'s system prompt."""
    graph = engine._graph_of(creature)

    def describe(name: str) -> str:
        ch = graph.channels.get(name)
        if ch is None:
            return f"`{name}`"
        desc = f": {ch.description}" if ch.description else ""
        return f"`{name}` ({ch.channel_type}{desc})"

    lines = [
        "<!-- runtime-graph -->",
        "## Your place in the terrarium",
        f"You are creature `{creature.creature_id}` in graph `{graph.graph_id}`.",
        "Listening on: " + (", ".join(describe(c) for c in creature.listen) or "nothing"),
        "You may send on: " + (", ".join(describe(c) for c in creature.send) or "nothing"),
    ]
    wires = engine.list_output_wiring(creature.creature_id)
    if wires:
        parts = [f"`{e.target}`" + ("" if e.with_content else " (ping)") for e in wires]
        lines.append("Your final text of each turn is sent to: " + ", ".join(parts))
    if creature.is_privileged:
        others = [cid for cid in graph.creatures if cid != creature.creature_id]
        shown = others[:MAX_LISTED_CREATURES]
        more = f" and {len(others) - len(shown)} more" if len(others) > len(shown) else ""
        lines.append(
            "Creatures in your graph: " + (", ".join(f"`{c}`" for c in shown) or "none") + more
        )
        lines.append("You are privileged: manage the graph with the group_* tools.")
    lines += [
        "Use `send_channel` (channels) or `group_send` (direct) for graph traffic, not "
        "`send_message`.",
        "Messages reach you tagged `[Channel '<name>' from <sender>]` (a channel message), "
        "`[output-wire from <creature>]` (another creature's turn output) or "
        "`[direct from <creature>]` (a direct message).",
        "<!-- /runtime-graph -->",
    ]
    return "\n".join(lines)


def make_group_tools(environment: CreatureEnvironment, privileged: bool) -> list[BaseTool]:
    """The group tool instances for one creature."""
    classes: list[type[_GraphTool]] = [SendChannelTool, GroupSendTool]
    if privileged:
        classes += [
            GroupAddNodeTool,
            GroupRemoveNodeTool,
            GroupStartNodeTool,
            GroupStopNodeTool,
            GroupChannelTool,
            GroupWireTool,
            GroupStatusTool,
        ]
    return [cls(environment=environment) for cls in classes]


__all__ = [
    "BASIC_TOOLS",
    "PRIVILEGED_TOOLS",
    "GraphToolError",
    "graph_report",
    "make_group_tools",
    "message_dict",
    "runtime_graph_block",
    "spawn_creature",
]
