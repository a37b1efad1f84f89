"""``ChannelTrigger``: wake the agent when a message arrives on a named channel.

It listens through the creature graph's environment, which offers::

    class ChannelSource(Protocol):
        def subscribe(self, channel: str) -> Subscription: ...   # may also be async

    Subscription: either ``async receive() -> message`` or an async iterator of messages;
    optional ``close()`` / ``unsubscribe()`` (sync or async) to stop listening.

A message is a ``ChannelMessage``-like object or dict with ``content``, ``sender``,
``sender_id``, ``message_id``, ``channel`` and ``metadata``. The event's prompt defaults to
``[Channel '<channel>' from <sender>]: <content>``; a custom ``prompt`` may use ``{content}``,
``{channel}``, ``{sender}``, ``{message_id}`` and metadata keys (CONTRACT §B3.2); a custom prompt
without ``{content}`` gets the content appended. The watcher's own messages are skipped
(``ignore_sender``, matched on ``sender_id`` then ``sender``); ``filter_sender`` is a whitelist.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, ClassVar

from kohakuterrarium.core.events import EventType, TriggerEvent
from kohakuterrarium.errors import BadValueError, TerrariumError
from kohakuterrarium.modules.trigger.base import BaseTrigger

DEFAULT_PROMPT = "[Channel '{channel}' from {sender}]: {content}"
"""Prompt of a channel event when the trigger has none."""


class _KeepMissing(dict[str, Any]):
    """``format_map`` mapping that leaves unknown ``{keys}`` as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _field(message: Any, name: str, default: Any = None) -> Any:
    if isinstance(message, dict):
        return message.get(name, default)
    return getattr(message, name, default)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class ChannelTrigger(BaseTrigger):
    """Fires for every message on ``channel_name`` (minus its own, within ``filter_sender``)."""

    resumable: ClassVar[bool] = True
    universal: ClassVar[bool] = True
    setup_tool_name: ClassVar[str | None] = "watch_channel"
    setup_description: ClassVar[str] = (
        "Get woken up by every message posted to a channel (optionally only from some senders)."
    )
    setup_param_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {
            "channel_name": {"type": "string", "description": "Channel to watch."},
            "prompt": {
                "type": "string",
                "description": "Custom prompt; may use {content}, {channel}, {sender}, "
                "{message_id}.",
            },
            "filter_sender": {
                "type": "string",
                "description": "Only react to this sender (comma-separated for several).",
            },
        },
        "required": ["channel_name"],
    }
    setup_full_doc: ClassVar[str] = (
        "## Behaviour\n- Each message on the channel starts a turn; by default it reads "
        "`[Channel '<channel>' from <sender>]: <content>`.\n- Your own messages are ignored.\n"
        "- Works only inside a terrarium. Returns a trigger id; `stop_task(job_id=<id>)` stops "
        "watching."
    )

    def __init__(
        self,
        prompt: str | None = None,
        *,
        channel_name: str,
        filter_sender: str | list[str] | None = None,
        ignore_sender: str | None = None,
        environment: Any = None,
    ) -> None:
        if not isinstance(channel_name, str) or not channel_name.strip():
            raise BadValueError("watch_channel needs a channel_name", key="channel_name")
        if isinstance(filter_sender, str):
            senders = [s.strip() for s in filter_sender.split(",") if s.strip()]
        else:
            senders = [str(s) for s in (filter_sender or [])]
        super().__init__(
            prompt,
            channel_name=channel_name.strip(),
            filter_sender=senders or None,
            ignore_sender=ignore_sender,
        )
        self.channel_name = channel_name.strip()
        """The watched channel."""
        self.filter_sender: list[str] = senders
        """Senders to react to (empty: everyone)."""
        self.ignore_sender = ignore_sender
        """Sender whose messages are skipped (the watcher itself)."""
        self.environment = environment
        """Where the channel lives (set by the setup tool or ``post_setup``)."""
        self._subscription: Any = None

    # -- wiring
    def bind_context(self, context: Any) -> None:
        """Take the environment and the agent's name from a tool context (setup tools call it)."""
        agent = getattr(context, "agent", None)
        if self.environment is None:
            self.environment = getattr(context, "environment", None) or getattr(
                agent, "environment", None
            )
        if self.ignore_sender is None:
            self.ignore_sender = getattr(context, "agent_name", None) or None
            self.options["ignore_sender"] = self.ignore_sender
        self._require_source()

    def post_setup(self, agent: Any) -> None:
        if self.environment is None:
            self.environment = getattr(agent, "environment", None)
        if self.ignore_sender is None:
            self.ignore_sender = getattr(agent, "name", None)
            self.options["ignore_sender"] = self.ignore_sender

    def _require_source(self) -> Any:
        subscribe = getattr(self.environment, "subscribe", None)
        if not callable(subscribe):
            raise TerrariumError(
                f"cannot watch channel '{self.channel_name}': this creature is not connected to "
                "any channel (run it inside a terrarium)"
            )
        return subscribe

    async def _on_start(self) -> None:
        subscribe = self._require_source()
        self._subscription = await _maybe_await(subscribe(self.channel_name))

    async def _on_stop(self) -> None:
        sub, self._subscription = self._subscription, None
        if sub is None:
            return
        for name in ("close", "unsubscribe", "aclose"):
            closer = getattr(sub, name, None)
            if callable(closer):
                await _maybe_await(closer())
                return

    # -- firing
    async def _receive(self) -> Any:
        """The next message, or None when the subscription has ended."""
        sub = self._subscription
        if sub is None:
            return None
        receive = getattr(sub, "receive", None)
        if callable(receive):
            return await _maybe_await(receive())
        try:
            return await sub.__anext__()
        except StopAsyncIteration:
            return None

    def _wanted(self, message: Any) -> bool:
        sender = str(_field(message, "sender", "") or "")
        sender_id = _field(message, "sender_id")
        if self.ignore_sender and self.ignore_sender in (sender_id, sender):
            return False
        return not self.filter_sender or sender in self.filter_sender

    def render(self, message: Any) -> TriggerEvent:
        """The event for ``message``."""
        content = _field(message, "content", "")
        text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        sender = str(_field(message, "sender", "") or "unknown")
        message_id = _field(message, "message_id")
        metadata = _field(message, "metadata") or {}
        values = _KeepMissing({str(k): v for k, v in dict(metadata).items()})
        values.update(
            content=text, channel=self.channel_name, sender=sender, message_id=message_id or ""
        )
        template = self.prompt or DEFAULT_PROMPT
        if "{content}" not in template:
            template += "\n\n{content}"
        context = {
            **self._context,
            "channel": self.channel_name,
            "sender": sender,
            "message_id": message_id,
            "metadata": dict(metadata),
        }
        try:
            prompt = template.format_map(values)
        except (ValueError, IndexError, AttributeError):  # stray braces in a custom prompt
            prompt = template
            for key in ("content", "channel", "sender", "message_id"):
                prompt = prompt.replace("{" + key + "}", str(values[key]))
        return TriggerEvent(
            EventType.CHANNEL_MESSAGE,
            content=text,
            context=context,
            prompt_override=prompt,
            source=f"channel:{self.channel_name}",
        )

    async def wait_for_trigger(self) -> TriggerEvent | None:
        while self.is_running:
            message = await self._receive()
            if message is None:
                if self._subscription is not None and self.is_running:
                    self._running = False  # the channel closed: stop instead of spinning
                return None
            if self._wanted(message):
                return self.render(message)
        return None

    @classmethod
    def from_setup_args(cls, args: dict[str, Any]) -> ChannelTrigger:
        return cls(
            args.get("prompt") or None,
            channel_name=args.get("channel_name") or args.get("channel") or "",
            filter_sender=args.get("filter_sender") or None,
        )

    def describe(self) -> str:
        """One line for tool results and UIs."""
        who = f" from {', '.join(self.filter_sender)}" if self.filter_sender else ""
        return f"watch of channel '{self.channel_name}'{who}"


__all__ = ["DEFAULT_PROMPT", "ChannelTrigger"]
