"""``PluginManager``: holds an agent's plugins and runs their hooks.

Ordering: ascending ``priority`` (ties keep registration order) for pre-hooks and
notifications; the post-hooks ``post_llm_call``, ``post_tool_execute`` and ``post_subagent_run``
run in *reverse* order, so the plugin that ran first before a call sees the result last.

Failure model: an exception in a hook is logged and the chain goes on with the value it had;
only :class:`PluginBlockError` propagates (out of transform chains and ``pre_tool_dispatch``).
A plugin's ``should_apply`` is asked before every call with the load context; if it raises, the
plugin is treated as applicable.

Cost: per-hook call lists are rebuilt only when plugins are registered, enabled or disabled, so a
hook no plugin overrides costs one dict lookup (the controller calls several per turn).

>>> pm = PluginManager()
>>> pm.register(MyPlugin())
>>> messages = await pm.transform("pre_llm_call", messages, model="m", tools=None)
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import ModuleLoadError
from kohakuterrarium.modules.plugin.base import BasePlugin, PluginBlockError, PluginContext
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

logger = get_logger(__name__)

HOOKS: tuple[str, ...] = (
    "on_load",
    "on_unload",
    "pre_llm_call",
    "post_llm_call",
    "pre_tool_dispatch",
    "pre_tool_execute",
    "post_tool_execute",
    "pre_subagent_run",
    "post_subagent_run",
    "on_agent_start",
    "on_agent_stop",
    "on_event",
    "on_interrupt",
    "on_task_promoted",
    "on_compact_start",
    "on_compact_end",
    "get_prompt_content",
    "runtime_services",
    "contribute_termination_check",
)
"""Every method the manager dispatches; the rest of a plugin's API is called directly."""

POST_HOOKS = frozenset({"post_llm_call", "post_tool_execute", "post_subagent_run"})
"""Hooks that run in reverse priority order."""

_ANONYMOUS = "unnamed"


def instantiate_plugin(cls: type, options: dict[str, Any] | None = None) -> Any:
    """Build a plugin from its config ``options`` the way packs expect.

    ``cls(**options)`` (``cls()`` when empty); if that raises TypeError and the constructor has
    an ``options`` parameter, ``cls(options=options)``. Raises ``ModuleLoadError`` otherwise.
    """
    options = dict(options or {})
    try:
        return cls(**options) if options else cls()
    except TypeError as first:
        if _takes_options(cls):
            try:
                return cls(options=options)
            except TypeError as second:
                raise ModuleLoadError(
                    f"plugin class {cls.__module__}.{cls.__qualname__} refused its options both "
                    f"as keywords ({first}) and as options= ({second}); check the option names"
                ) from second
        accepted = _describe_params(cls)
        raise ModuleLoadError(
            f"plugin class {cls.__module__}.{cls.__qualname__} cannot be built with options "
            f"{sorted(options)}: {first}. Its constructor takes ({accepted}); give the options "
            "as its keyword arguments, or accept a single 'options' dict"
        ) from first


def _takes_options(cls: type) -> bool:
    try:
        return "options" in inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False


def _describe_params(cls: type) -> str:
    try:
        return ", ".join(str(p) for p in inspect.signature(cls).parameters.values())
    except (TypeError, ValueError):
        return "?"


@dataclass
class _Entry:
    """One registered plugin."""

    key: str
    """Name the manager knows it by."""
    plugin: Any
    """The plugin object (duck-typed)."""
    priority: int
    """Sort key, read at registration."""
    order: int
    """Registration counter, the tie-breaker."""
    enabled: bool
    """Disabled plugins stay registered but no hook runs."""
    loaded: bool = False
    """Whether ``on_load`` has run."""


def _implements(plugin: Any, hook: str) -> bool:
    """True when ``plugin`` has ``hook`` and it is not the BasePlugin no-op."""
    fn = getattr(plugin, hook, None)
    if fn is None or not callable(fn):
        return False
    base = BasePlugin.__dict__.get(hook)
    return base is None or getattr(fn, "__func__", None) is not base


def _priority(plugin: Any) -> int:
    value = getattr(plugin, "priority", 50)
    try:
        return int(value)
    except (TypeError, ValueError):
        logger.warning("plugin priority is not a number; using 50", priority=value)
        return 50


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _sync_result(value: Any, plugin: str, hook: str) -> Any:
    """Results of hooks the manager calls synchronously; a coroutine here is a plugin bug."""
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        logger.warning("plugin hook must be synchronous; result ignored", plugin=plugin, hook=hook)
        return None
    return value


class PluginManager:
    """The plugins of one agent, with their order, enabled state and hook dispatch."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._counter = 0
        self._hooks: dict[str, tuple[tuple[str, Any], ...]] = {}
        self._load_context: PluginContext | None = None
        self._loaded = False

    # ------------------------------------------------------------------ registry

    def register(self, plugin: Any, enabled: bool = True) -> str:
        """Add ``plugin`` (any object with hook methods); returns the name it is known by.

        A plugin with the name of one already registered replaces it in place.
        """
        name = str(getattr(plugin, "name", "") or type(plugin).__name__)
        key = name
        if name == _ANONYMOUS:
            n = 2
            while key in self._entries:
                key = f"{name}#{n}"
                n += 1
        old = self._entries.get(key)
        if old is not None:
            logger.debug("plugin replaced", plugin=key)
            order = old.order
        else:
            self._counter += 1
            order = self._counter
        self._entries[key] = _Entry(key, plugin, _priority(plugin), order, bool(enabled))
        self.refresh()
        return key

    def unregister(self, name: str) -> bool:
        """Remove the plugin called ``name``; False when there is none."""
        removed = self._entries.pop(name, None) is not None
        if removed:
            self.refresh()
        return removed

    def enable(self, name: str) -> bool:
        """Enable ``name``; False when unknown. Call :meth:`load_pending` to run its ``on_load``."""
        return self._set_enabled(name, True)

    def disable(self, name: str) -> bool:
        """Disable ``name`` (it stays registered); False when unknown."""
        return self._set_enabled(name, False)

    def _set_enabled(self, name: str, enabled: bool) -> bool:
        entry = self._entries.get(name)
        if entry is None:
            return False
        if entry.enabled != enabled:
            entry.enabled = enabled
            self.refresh()
        return True

    def get(self, name: str) -> Any:
        """The plugin called ``name``, or None."""
        entry = self._entries.get(name)
        return entry.plugin if entry is not None else None

    def is_enabled(self, name: str) -> bool:
        entry = self._entries.get(name)
        return entry is not None and entry.enabled

    def list(self) -> list[dict[str, Any]]:
        """``[{name, priority, enabled, description}]`` in priority order."""
        return [
            {
                "name": e.key,
                "priority": e.priority,
                "enabled": e.enabled,
                "description": str(getattr(e.plugin, "description", "") or ""),
            }
            for e in self._sorted()
        ]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Any]:
        return (e.plugin for e in self._sorted() if e.enabled)

    def _sorted(self) -> list[_Entry]:
        return sorted(self._entries.values(), key=lambda e: (e.priority, e.order))

    def refresh(self) -> None:
        """Rebuild the per-hook call lists (call after changing a plugin's methods or priority)."""
        for entry in self._entries.values():
            entry.priority = _priority(entry.plugin)
        active = [e for e in self._sorted() if e.enabled]
        hooks: dict[str, tuple[tuple[str, Any], ...]] = {}
        for hook in HOOKS:
            chain = [(e.key, e.plugin) for e in active if _implements(e.plugin, hook)]
            if hook in POST_HOOKS:
                chain.reverse()
            if chain:
                hooks[hook] = tuple(chain)
        self._hooks = hooks

    def has_hook(self, hook: str) -> bool:
        """Whether any enabled plugin overrides ``hook`` (the controller's fast-path check)."""
        return hook in self._hooks

    # ------------------------------------------------------------------ calling

    def _applies(self, key: str, plugin: Any) -> bool:
        gate = getattr(plugin, "should_apply", None)
        if gate is None:
            return True
        try:
            result = gate(self._load_context)
        except Exception as exc:
            logger.debug(
                "should_apply raised; treating plugin as applicable", plugin=key, error=exc
            )
            return True
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            logger.warning("should_apply must be synchronous; treating as applicable", plugin=key)
            return True
        return bool(result)

    async def _call(self, key: str, plugin: Any, hook: str, args: tuple, kw: dict) -> Any:
        """Run one hook; PluginBlockError propagates, anything else is logged and gives None."""
        try:
            return await _resolve(getattr(plugin, hook)(*args, **kw))
        except PluginBlockError:
            raise
        except Exception as exc:
            logger.exception("plugin hook failed; continuing", plugin=key, hook=hook, error=exc)
            return None

    async def notify(self, hook: str, *args: Any, **kw: Any) -> None:
        """Call ``hook`` on every applicable plugin; nothing propagates, blocks included."""
        chain = self._hooks.get(hook)
        if not chain:
            return
        for key, plugin in chain:
            if not self._applies(key, plugin):
                continue
            try:
                await self._call(key, plugin, hook, args, kw)
            except PluginBlockError as exc:
                logger.warning("PluginBlockError in a notification ignored", plugin=key, hook=hook)
                logger.debug("block message", plugin=key, message=str(exc))

    async def transform(self, hook: str, value: Any, *args: Any, **kw: Any) -> Any:
        """Chain ``hook(value, *args, **kw)``; a non-None return replaces ``value``."""
        chain = self._hooks.get(hook)
        if not chain:
            return value
        for key, plugin in chain:
            if not self._applies(key, plugin):
                continue
            result = await self._call(key, plugin, hook, (value, *args), kw)
            if result is not None:
                value = result
        return value

    async def transform_at(self, hook: str, index: int, *args: Any, **kw: Any) -> Any:
        """Like :meth:`transform`, but the chained value is positional argument ``index``.

        ``post_llm_call(messages, response, usage)`` chains ``response``: ``index=1``.
        """
        values = list(args)
        chain = self._hooks.get(hook)
        if not chain:
            return values[index]
        for key, plugin in chain:
            if not self._applies(key, plugin):
                continue
            result = await self._call(key, plugin, hook, tuple(values), kw)
            if result is not None:
                values[index] = result
        return values[index]

    async def pre_tool_dispatch(self, call: Any, context: Any = None) -> Any:
        """Run ``pre_tool_dispatch(call, context)``; a returned call replaces ``call``.

        ``PluginBlockError`` propagates: the caller turns its message into the tool result.
        """
        chain = self._hooks.get("pre_tool_dispatch")
        if not chain:
            return call
        ctx = context if context is not None else self._load_context
        for key, plugin in chain:
            if not self._applies(key, plugin):
                continue
            result = await self._call(key, plugin, "pre_tool_dispatch", (call, ctx), {})
            if result is None:
                continue
            if hasattr(result, "name") and hasattr(result, "args"):
                call = result
            else:
                logger.warning(
                    "pre_tool_dispatch returned something that is not a ToolCallEvent; ignored",
                    plugin=key,
                    returned=type(result).__name__,
                )
        return call

    async def compact_start(self, context_length: int) -> bool:
        """Ask every plugin; False when any returned False (a veto)."""
        chain = self._hooks.get("on_compact_start")
        if not chain:
            return True
        allowed = True
        for key, plugin in chain:
            if not self._applies(key, plugin):
                continue
            try:
                result = await self._call(
                    key, plugin, "on_compact_start", (), {"context_length": context_length}
                )
            except PluginBlockError:
                result = False
            if result is False:
                logger.info("compaction vetoed by plugin", plugin=key)
                allowed = False
        return allowed

    async def compact_end(self, summary: str, messages_removed: int) -> None:
        """Tell plugins compaction finished."""
        await self.notify("on_compact_end", summary=summary, messages_removed=messages_removed)

    # ------------------------------------------------------------------ lifecycle

    async def load_all(self, context: PluginContext) -> None:
        """Call ``on_load(context=...)`` on every enabled plugin; remembers ``context`` for gating.

        Each plugin gets a copy of ``context`` namespaced with its own name (for ``get_state``).
        """
        self._load_context = context
        self._loaded = True
        await self.load_pending()

    async def load_pending(self) -> None:
        """Run ``on_load`` for enabled plugins that have not been loaded yet (after ``enable``)."""
        if not self._loaded:
            return
        context = self._load_context
        for entry in self._sorted():
            if not entry.enabled or entry.loaded:
                continue
            entry.loaded = True
            if not _implements(entry.plugin, "on_load"):
                continue
            ctx = context.for_plugin(entry.key) if isinstance(context, PluginContext) else context
            try:
                await _resolve(entry.plugin.on_load(context=ctx))
            except Exception as exc:
                logger.exception("plugin on_load failed", plugin=entry.key, error=exc)

    async def unload_all(self) -> None:
        """Call ``on_unload()`` on every loaded plugin, in reverse priority order."""
        for entry in reversed(self._sorted()):
            if not entry.loaded:
                continue
            entry.loaded = False
            if not _implements(entry.plugin, "on_unload"):
                continue
            try:
                await _resolve(entry.plugin.on_unload())
            except Exception as exc:
                logger.exception("plugin on_unload failed", plugin=entry.key, error=exc)
        self._loaded = False

    # ------------------------------------------------------------------ contributions

    def collect_termination_checkers(self) -> list[Callable[[Any], Any]]:
        """The ``contribute_termination_check()`` callables of applicable plugins."""
        out: list[Callable[[Any], Any]] = []
        for key, plugin in self._hooks.get("contribute_termination_check", ()):
            if not self._applies(key, plugin):
                continue
            try:
                fn = _sync_result(
                    plugin.contribute_termination_check(), key, "contribute_termination_check"
                )
            except Exception as exc:
                logger.exception("contribute_termination_check failed", plugin=key, error=exc)
                continue
            if callable(fn):
                out.append(fn)
        return out

    def collect_prompt_content(self, context: Any = None) -> list[str]:
        """Non-empty ``get_prompt_content(ctx)`` texts, in priority order."""
        ctx = context if context is not None else self._load_context
        out: list[str] = []
        for key, plugin in self._hooks.get("get_prompt_content", ()):
            if not self._applies(key, plugin):
                continue
            try:
                text = _sync_result(plugin.get_prompt_content(ctx), key, "get_prompt_content")
            except Exception as exc:
                logger.exception("get_prompt_content failed", plugin=key, error=exc)
                continue
            if isinstance(text, str) and text.strip():
                out.append(text)
        return out

    def collect_runtime_services(self, context: Any = None) -> dict[str, Any]:
        """Merged ``runtime_services(ctx)`` dicts; on a name clash the earlier plugin wins."""
        ctx = context if context is not None else self._load_context
        services: dict[str, Any] = {}
        owner: dict[str, str] = {}
        for key, plugin in self._hooks.get("runtime_services", ()):
            if not self._applies(key, plugin):
                continue
            try:
                got = _sync_result(plugin.runtime_services(ctx), key, "runtime_services")
            except Exception as exc:
                logger.exception("runtime_services failed", plugin=key, error=exc)
                continue
            for name, service in (got or {}).items():
                if name in services:
                    logger.warning(
                        "runtime service published twice; keeping the first",
                        service=name,
                        kept=owner[name],
                        dropped=key,
                    )
                    continue
                services[name] = service
                owner[name] = key
        return services


__all__ = ["HOOKS", "POST_HOOKS", "PluginManager", "instantiate_plugin"]
