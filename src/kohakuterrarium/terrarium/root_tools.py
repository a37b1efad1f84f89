"""The root tools the official pack's recipes declare (``terrarium_*``, ``creature_*``).

They are privileged tools mapped onto engine operations (parameters in the table of
:mod:`.group_tools`). Importing this module registers them as builtins, so a root config that
lists them loads; outside a terrarium they answer with an error saying so.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from kohakuterrarium.modules.tool.catalog import register_builtin
from kohakuterrarium.terrarium.events import EventFilter, EventKind
from kohakuterrarium.terrarium.group_tools import (
    _BOOL,
    _INT,
    _STR,
    _STR_LIST,
    GraphToolError,
    _flag,
    _GraphTool,
    _names,
    _p,
    _schema,
    graph_report,
    message_dict,
    spawn_creature,
)

if TYPE_CHECKING:
    from kohakuterrarium.terrarium.creature_host import Creature
    from kohakuterrarium.terrarium.engine import Terrarium

ROOT_TOOLS = (
    "terrarium_create",
    "terrarium_status",
    "terrarium_stop",
    "terrarium_send",
    "terrarium_observe",
    "terrarium_history",
    "creature_start",
    "creature_stop",
)
OBSERVE_DEFAULT_S = 10.0
OBSERVE_MAX_S = 55.0
"""Below the default tool timeout (60 s), which would cancel a longer wait."""


class _RootTool(_GraphTool):
    privileged_only = True

    @staticmethod
    def _channel(engine: Terrarium, caller: Creature, name: str) -> Any:
        graph = engine._graph_of(caller)
        ch = graph.channels.get(name)
        if ch is None:
            raise GraphToolError(
                f"no channel '{name}' in graph '{graph.graph_id}'",
                "channels: " + (", ".join(graph.channels) or "(none)"),
            )
        return ch


@register_builtin("terrarium_create")
class TerrariumCreateTool(_RootTool):
    tool_name = "terrarium_create"
    description = "Spawn a creature into your terrarium and wire its channels."
    parameters = _schema(
        ("config_path",),
        config_path=_p(_STR, "Creature folder, config file or @pkg/creatures/<name>."),
        name=_p(_STR, "Creature id (default: the config name)."),
        listen=_p(_STR_LIST, "Channels it listens on."),
        can_send=_p(_STR_LIST, "Channels it may send on."),
        llm=_p(_STR, "Model profile (default: the config's)."),
        pwd=_p(_STR, "Working directory (default: yours)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "config_path")
        child = await spawn_creature(engine, caller, args)
        for name in _names(args.get("listen")):
            await engine.wire_channel(child, name, direction="listen", create=True)
        for name in _names(args.get("can_send")):
            await engine.wire_channel(child, name, direction="send", create=True)
        return {
            "creature_id": child.creature_id,
            "graph_id": child.graph_id,
            "listen": child.listen_channels,
            "can_send": child.send_channels,
        }


@register_builtin("terrarium_status")
class TerrariumStatusTool(_RootTool):
    tool_name = "terrarium_status"
    description = "Report the terrarium: creatures, channels, wires."
    parameters = _schema(
        (),
        include_history=_p(_BOOL, "Add each channel's recent messages."),
        history_limit=_p(_INT, "Messages per channel with include_history (default 10)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        return graph_report(
            engine,
            caller,
            include_history=_flag(args.get("include_history")),
            history_limit=int(args.get("history_limit") or 10),
        )


@register_builtin("terrarium_stop")
class TerrariumStopTool(_RootTool):
    tool_name = "terrarium_stop"
    description = "Stop one creature, or every non-privileged creature of the terrarium."
    parameters = _schema((), creature_id=_p(_STR, "Creature to stop (default: all workers)."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        if args.get("creature_id"):
            targets = [self._managed(engine, caller, str(args["creature_id"]))]
        else:
            graph = engine._graph_of(caller)
            targets = [c for c in graph.creatures.values() if not c.is_privileged]
        await asyncio.gather(*(t.stop() for t in targets))
        return {"stopped": [t.creature_id for t in targets]}


@register_builtin("terrarium_send")
class TerrariumSendTool(_RootTool):
    tool_name = "terrarium_send"
    description = "Post a message on any channel of the terrarium."
    parameters = _schema(
        ("channel", "message"),
        channel=_p(_STR, "Channel name."),
        message=_p(_STR, "Message text."),
        metadata=_p({"type": "object"}, "Optional data that travels with the message."),
        reply_to=_p(_STR, "Id of the message this one answers."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "channel", "message")
        self._channel(engine, caller, str(args["channel"]))
        msg = await engine._creature_send(
            caller,
            str(args["channel"]),
            args["message"],
            metadata=args.get("metadata") if isinstance(args.get("metadata"), dict) else None,
            reply_to=args.get("reply_to") or None,
        )
        return {"sent": True, "channel": msg.channel, "message_id": msg.message_id}


@register_builtin("terrarium_observe")
class TerrariumObserveTool(_RootTool):
    tool_name = "terrarium_observe"
    description = "Wait for the next messages on a channel and return them."
    parameters = _schema(
        ("channel",),
        channel=_p(_STR, "Channel name."),
        timeout=_p({"type": "number"}, f"Seconds to wait (default {OBSERVE_DEFAULT_S:g})."),
        limit=_p(_INT, "Most messages to return (default 20)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "channel")
        ch = self._channel(engine, caller, str(args["channel"]))
        timeout = min(float(args.get("timeout") or OBSERVE_DEFAULT_S), OBSERVE_MAX_S)
        limit = max(1, int(args.get("limit") or 20))
        flt = EventFilter(
            kinds=EventKind.CHANNEL_MESSAGE, channels=ch.name, graph_ids=caller.graph_id
        )
        messages: list[dict[str, Any]] = []
        async with engine.subscribe(flt, maxsize=limit) as sub:
            first = await sub.get(timeout)
            if first is not None:
                messages.append(first.payload)
                while len(messages) < limit and (ev := sub.get_nowait()) is not None:
                    messages.append(ev.payload)
        return {"channel": ch.name, "messages": messages, "timed_out": not messages}


@register_builtin("terrarium_history")
class TerrariumHistoryTool(_RootTool):
    tool_name = "terrarium_history"
    description = "The recent messages of a channel."
    parameters = _schema(
        ("channel",),
        channel=_p(_STR, "Channel name."),
        limit=_p(_INT, "Most messages to return (default 20)."),
    )

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "channel")
        ch = self._channel(engine, caller, str(args["channel"]))
        limit = max(1, int(args.get("limit") or 20))
        recent = list(ch.history)[-limit:]
        return {"channel": ch.name, "messages": [message_dict(m) for m in recent]}


@register_builtin("creature_start")
class CreatureStartTool(_RootTool):
    tool_name = "creature_start"
    description = "Start a stopped creature of the terrarium."
    parameters = _schema(("creature_id",), creature_id=_p(_STR, "Creature to start."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "creature_id")
        target = self._managed(engine, caller, str(args["creature_id"]))
        await target.start()
        return {"creature_id": target.creature_id, "running": target.is_running}


@register_builtin("creature_stop")
class CreatureStopTool(_RootTool):
    tool_name = "creature_stop"
    description = "Stop a creature of the terrarium (it keeps its history)."
    parameters = _schema(("creature_id",), creature_id=_p(_STR, "Creature to stop."))

    async def run(self, engine: Terrarium, caller: Creature, args: dict[str, Any]) -> Any:
        self._require(args, "creature_id")
        target = self._managed(engine, caller, str(args["creature_id"]))
        await target.stop()
        return {"creature_id": target.creature_id, "running": target.is_running}


__all__ = ["ROOT_TOOLS"]
