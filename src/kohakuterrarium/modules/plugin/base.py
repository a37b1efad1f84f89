"""Plugin authoring API: ``BasePlugin``, ``PluginContext``, ``PluginBlockError``.

A plugin changes behaviour *between* modules: it rewrites the messages sent to the model, vetoes
or rewrites tool calls, adds prompt text, votes on termination. Subclass :class:`BasePlugin`,
override the hooks you need (sync or async), and list the class in a creature's ``plugins:``.

>>> class Shout(BasePlugin):
...     name = "shout"
...     priority = 40
...     async def post_llm_call(self, messages, response, usage, **kw):
...         return response.upper()

Hooks return ``None`` to leave the value unchanged. Raising :class:`PluginBlockError` from a
``pre_*`` hook vetoes the call; its message becomes the tool result. Every base method tolerates a
subclass that never called ``super().__init__()``.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from kohakuterrarium.errors import BadValueError
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable

logger = get_logger(__name__)


class PluginBlockError(Exception):
    """Raised by a plugin hook to veto the call; the message is shown to the model."""


class PluginOptionError(BadValueError, ValueError):
    """``set_options`` was given a key the plugin's ``option_schema`` does not declare, or a bad value."""


# --------------------------------------------------------------------------- context


@dataclass
class PluginContext:
    """What a plugin may know about, and do to, the agent it is loaded into.

    Every field is optional so tests can build one with keywords only; the properties read the
    host agent lazily and are ``None`` without one.
    """

    agent_name: str = ""
    """Name of the creature the plugin is loaded into."""
    working_dir: Path = field(default_factory=Path.cwd)
    """The agent's working directory."""
    session_id: str | None = None
    """Id of the attached session, if any."""
    model: str = ""
    """Model identifier the agent uses."""
    _host_agent: Any = None
    """The running agent (read through the properties below)."""
    _plugin_name: str = ""
    """Name of the plugin this context was handed to (namespaces ``get_state``)."""

    def __post_init__(self) -> None:
        if self.working_dir is None:
            self.working_dir = Path.cwd()
        elif not isinstance(self.working_dir, Path):
            self.working_dir = Path(self.working_dir)

    def for_plugin(self, plugin_name: str) -> PluginContext:
        """A copy sharing the same host, namespaced for ``plugin_name``."""
        if plugin_name == self._plugin_name:
            return self
        return replace(self, _plugin_name=plugin_name)

    # -- read-only views of the host agent
    def _host_attr(self, name: str) -> Any:
        return getattr(self._host_agent, name, None) if self._host_agent is not None else None

    @property
    def host_agent(self) -> Any:
        return self._host_agent

    @property
    def scratchpad(self) -> Any:
        return self._host_attr("scratchpad")

    @property
    def controller(self) -> Any:
        return self._host_attr("controller")

    @property
    def session_store(self) -> Any:
        return self._host_attr("session_store")

    @property
    def registry(self) -> Any:
        return self._host_attr("registry")

    @property
    def session_memory(self) -> Any:
        return self._host_attr("session_memory")

    @property
    def compact_manager(self) -> Any:
        return self._host_attr("compact_manager")

    @property
    def subagent_manager(self) -> Any:
        return self._host_attr("subagent_manager")

    # -- per-plugin persistent state
    def _state_key(self, key: str) -> str:
        return f"plugin:{self._plugin_name}:{key}"

    def _state_table(self) -> Any:
        store = self.session_store
        return getattr(store, "state", None) if store is not None else None

    def get_state(self, key: str) -> Any:
        """Read this plugin's value for ``key`` from the session store; None without a store."""
        table = self._state_table()
        if table is None:
            return None
        try:
            return table[self._state_key(key)]
        except KeyError:
            return None
        except Exception as exc:  # a broken store must not take the plugin down
            logger.warning("plugin state read failed", plugin=self._plugin_name, key=key, error=exc)
            return None

    def set_state(self, key: str, value: Any) -> None:
        """Store ``value`` under this plugin's ``key`` in the session store; no-op without one."""
        table = self._state_table()
        if table is None:
            return
        try:
            table[self._state_key(key)] = value
        except Exception as exc:
            logger.warning(
                "plugin state write failed", plugin=self._plugin_name, key=key, error=exc
            )

    # -- acting on the host
    def inject_event(self, event: Any) -> None:
        """Queue ``event`` for the agent without waiting (safe from sync code)."""
        controller = self.controller
        push = getattr(controller, "push_event_sync", None) if controller is not None else None
        if push is not None:
            push(event)
            return
        nowait = self._host_attr("inject_event_nowait")
        if nowait is not None:
            nowait(event)
            return
        logger.warning(
            "inject_event ignored: no host agent to deliver it to",
            plugin=self._plugin_name,
            event_type=getattr(event, "type", None),
        )

    def switch_model(self, name: str) -> Any:
        """Ask the host agent to use another model; returns what the host returns (or None)."""
        switch = self._host_attr("switch_model")
        if switch is None:
            logger.warning("switch_model ignored: no host agent", plugin=self._plugin_name)
            return None
        return switch(name)

    def inject_message_before_llm(self, role: str, content: Any) -> None:
        """Add a message the host sends with the next LLM call."""
        host = self._host_agent
        if host is None:
            logger.warning("inject_message_before_llm ignored: no host", plugin=self._plugin_name)
            return
        queue = getattr(host, "_plugin_injected_messages", None)
        if queue is None:
            queue = []
            host._plugin_injected_messages = queue
        queue.append({"role": role, "content": content})

    async def emit(self, event: Any) -> None:
        """Send an ``OutputEvent`` to the host's output module (no-op without one)."""
        output = self._host_attr("output")
        emit = getattr(output, "emit", None) if output is not None else None
        if emit is None:
            return
        result = emit(event)
        if inspect.isawaitable(result):
            await result


# --------------------------------------------------------------------------- base plugin

_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "integer": (int,),
    "float": (int, float),
    "number": (int, float),
    "bool": (bool,),
    "boolean": (bool,),
    "str": (str,),
    "string": (str,),
    "list": (list, tuple),
    "array": (list, tuple),
    "dict": (dict,),
    "object": (dict,),
}


class BasePlugin:
    """Base class for plugins; every hook is a no-op until overridden."""

    name: str = "unnamed"
    """Unique name used by configs, ``/plugin`` and ``PluginManager.get``."""
    priority: int = 50
    """Lower runs first for pre-hooks and notifications; post-hooks run in reverse."""
    description: str = ""
    """One line shown in plugin listings."""
    applies_to: ClassVar[dict[str, Any]] = {}
    """Optional gate: ``{"agent_names": [...], "model_patterns": [regex, ...]}``."""

    def __init__(self, options: dict[str, Any] | None = None, **kwargs: Any) -> None:
        merged: dict[str, Any] = dict(options or {})
        merged.update(kwargs)
        self.options = merged

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={getattr(self, 'name', '?')!r}>"

    # -- gating and options
    def should_apply(self, context: Any = None) -> bool:
        """Whether the hooks run for ``context`` (uses ``applies_to``; True without a gate)."""
        gate = getattr(self, "applies_to", None) or {}
        if context is None or not gate:
            return True
        names = gate.get("agent_names")
        if names and getattr(context, "agent_name", "") not in names:
            return False
        patterns = gate.get("model_patterns")
        if patterns:
            model = getattr(context, "model", "") or ""
            if not any(re.search(p, model) for p in patterns):
                return False
        return True

    @classmethod
    def option_schema(cls) -> dict[str, dict[str, Any]]:
        """``{key: {"type": ..., "default": ..., "doc": ...}}``; empty means "any keys"."""
        return {}

    def get_options(self) -> dict[str, Any]:
        """Current options, with schema defaults filled in for keys never set."""
        current = getattr(self, "options", None)
        out = dict(current) if isinstance(current, dict) else {}
        for key, spec in self.option_schema().items():
            if key not in out and isinstance(spec, dict) and "default" in spec:
                out[key] = spec["default"]
        return out

    def set_options(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validate ``values`` against ``option_schema``, merge them, call ``refresh_options``."""
        schema = self.option_schema()
        plugin = getattr(self, "name", type(self).__name__)
        if schema:
            for key, value in values.items():
                if key not in schema:
                    raise PluginOptionError(
                        f"plugin '{plugin}' has no option '{key}'",
                        key=key,
                        hint=f"known options: {', '.join(sorted(schema))}",
                    )
                _check_option(plugin, key, value, schema[key])
        current = getattr(self, "options", None)
        if not isinstance(current, dict):
            current = {}
            self.options = current
        current.update(values)
        self.refresh_options()
        return self.get_options()

    def refresh_options(self) -> None:
        """Re-read ``self.options`` after they changed (override to cache derived values)."""

    # -- contributions
    def get_prompt_content(self, context: Any) -> str | None:
        """Text to add to the system prompt, or None."""
        return None

    def runtime_services(self, context: Any) -> dict[str, Any]:
        """Services published to tools through ``ToolContext.runtime_services``."""
        return {}

    def contribute_commands(self) -> dict[str, Any]:
        """Extra slash commands: ``{name: BaseCommand}``."""
        return {}

    def contribute_termination_check(self) -> Callable[[Any], Any] | None:
        """A callable taking a ``TerminationContext`` and returning a ``TerminationDecision``/None."""
        return None

    # -- lifecycle hooks
    async def on_load(self, context: PluginContext) -> None:
        """Called once after the agent started (``context=`` is passed as a keyword)."""

    async def on_unload(self) -> None:
        """Called on agent stop, in reverse priority order."""

    # -- LLM hooks
    async def pre_llm_call(self, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
        """Before each LLM call (kw ``model``, ``tools``); return a new message list or None."""
        return None

    async def post_llm_call(
        self, messages: list[dict[str, Any]], response: str, usage: dict[str, Any], **kwargs: Any
    ) -> Any:
        """After each LLM call (kw ``model``); return rewritten response text or None."""
        return None

    # -- tool hooks
    async def pre_tool_dispatch(self, call: Any, context: Any) -> Any:
        """After parsing, before submission; return a replacement ``ToolCallEvent`` or None."""
        return None

    async def pre_tool_execute(self, args: dict[str, Any], **kwargs: Any) -> Any:
        """Before a tool runs (kw ``tool_name``, ``job_id``, ``context``); return new args or None."""
        return None

    async def post_tool_execute(self, result: Any, **kwargs: Any) -> Any:
        """After a tool ran (kw ``tool_name``, ``job_id``, ``args``, ``context``); new result or None."""
        return None

    # -- sub-agent hooks
    async def pre_subagent_run(self, task: str, **kwargs: Any) -> Any:
        """Before a sub-agent runs (kw ``name``, ``job_id``, ``is_background``); new task or None."""
        return None

    async def post_subagent_run(self, result: Any, **kwargs: Any) -> Any:
        """After a sub-agent ran (kw ``name``, ``job_id``); a replacement result or None."""
        return None

    # -- notifications
    async def on_agent_start(self) -> None:
        """The agent started."""

    async def on_agent_stop(self) -> None:
        """The agent is stopping."""

    async def on_event(self, event: Any = None) -> None:
        """Every processed trigger event (passed as ``event=``)."""

    async def on_interrupt(self) -> None:
        """The current turn was interrupted."""

    async def on_task_promoted(self, job_id: str, tool_name: str) -> None:
        """A direct job was promoted to the background."""

    async def on_compact_start(self, context_length: int) -> bool | None:
        """Compaction is about to run; return False to veto it."""
        return None

    async def on_compact_end(self, summary: str, messages_removed: int) -> None:
        """Compaction finished."""


def _check_option(plugin: str, key: str, value: Any, spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    kind = str(spec.get("type", "")).lower()
    choices = spec.get("values") or spec.get("choices") or spec.get("enum")
    if choices is not None and kind in ("enum", "choice", "") and value not in choices:
        raise PluginOptionError(
            f"plugin '{plugin}' option '{key}' must be one of {list(choices)}, got {value!r}",
            key=key,
        )
    allowed = _TYPE_CHECKS.get(kind)
    if allowed is None or value is None:
        return
    # bool is an int subclass: reject it where a number is expected
    if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
        raise PluginOptionError(
            f"plugin '{plugin}' option '{key}' expects {kind}, got {type(value).__name__}",
            key=key,
        )
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low, high = spec.get("min"), spec.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            raise PluginOptionError(
                f"plugin '{plugin}' option '{key}' = {value} is outside [{low}, {high}]", key=key
            )


__all__ = ["BasePlugin", "PluginBlockError", "PluginContext", "PluginOptionError"]
