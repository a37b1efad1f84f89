"""Record an agent into a session file as it runs.

>>> attachment = attach_session(agent, "auto")          # doctest: +SKIP
>>> agent.session_store.path                            # doctest: +SKIP
PosixPath('/home/me/.kohakuterrarium/sessions/helper_3f9a1c0e.kohakutr')

What is written, each thing once and at a cost that does not grow with the session:

- every conversation message, as it is appended (``user_message``, ``assistant_message``,
  ``tool_message``; the message dict is the event data);
- the activities worth keeping (tool and sub-agent starts and ends, token usage, interrupts,
  cancellations, fired triggers, compaction, named outputs, plugin edits of a reply). Text
  chunks are not stored: the assistant message carries the text once;
- scratchpad writes (a ``scratchpad_write`` event, and the whole pad under
  ``state["<agent>:scratchpad"]``);
- at each turn end: a ``turn_end`` event, the ``turn_rollup`` row and a commit; also
  ``meta.last_active`` (at most every few seconds), and a conversation snapshot only when the
  live list was rebuilt (compaction, clear, trim) so that replaying events would no longer
  reproduce it;
- meta: session id, agents, config path, pwd, llm, host, python and package versions, status
  (running, then completed at stop; crashed when the process exits with the agent running).
"""

from __future__ import annotations

import atexit
import os
import platform
import socket
import time
import uuid
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kohakuterrarium._version import __version__
from kohakuterrarium.core.result import Activity, TurnResult
from kohakuterrarium.errors import SessionError
from kohakuterrarium.session.paths import new_session_path
from kohakuterrarium.session.store import SessionStore
from kohakuterrarium.session.text import MESSAGE_KINDS
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

STORED_ACTIVITIES = frozenset(
    {
        "tool_start",
        "tool_done",
        "tool_error",
        "subagent_start",
        "subagent_done",
        "subagent_error",
        "token_usage",
        "interrupt",
        "turn_cancelled",
        "trigger_fired",
        "compact_start",
        "compact_complete",
        "job_cancelled",
        "output",
        "assistant_message_edited",
    }
)
"""Activity types persisted as events (others, such as streamed reasoning, are not)."""

LAST_ACTIVE_EVERY_S = 5.0
"""``meta.last_active`` is refreshed at a turn end at most this often (and at close)."""

_LIVE: weakref.WeakSet[SessionAttachment] = weakref.WeakSet()
_AGENTS_ON_STORE: weakref.WeakKeyDictionary[SessionStore, set[str]] = weakref.WeakKeyDictionary()


class SessionAttachment:
    """Keeps one agent's session file up to date; made by :func:`attach_session`."""

    def __init__(self, agent: Any, store: SessionStore, *, owns_store: bool) -> None:
        self.agent = agent
        """The agent being recorded."""
        self.store = store
        """The session it is recorded into."""
        self.name: str = agent.name
        """Agent name used for its events."""
        self.write_errors = 0
        """Writes that failed (logged; the agent keeps running)."""
        self._owns_store = owns_store
        self._root = tuple(agent.path)
        self._seen_messages: list[Any] = agent.conversation.messages
        self._unsubscribe: Callable[[], Any] | None = None
        self._previous_on_write: Callable[[str, str | None], Any] | None = None
        self._closed = False
        self._last_active_written = time.time()

    @property
    def closed(self) -> bool:
        return self._closed

    # ------------------------------------------------------------------ hooks

    def on_message(self, message: dict[str, Any]) -> None:
        """Conversation listener: persist one appended message."""
        kind = MESSAGE_KINDS.get(str(message.get("role")), "message")
        self._write(kind, message)

    def on_event(self, event: Any) -> None:
        """Agent sink: persist the activities worth keeping (never text chunks)."""
        if type(event) is not Activity or event.type not in STORED_ACTIVITIES:
            return
        data: dict[str, Any] = dict(event.payload)
        if event.name:
            data["name"] = event.name
        own = tuple(event.path) == self._root or not event.path
        if not own:
            data["agent_path"] = list(event.path)
        self._write(event.type, data)
        if own and event.type.startswith("subagent_"):
            self._record_subagent(event)

    def on_scratchpad_write(self, key: str, value: str | None) -> None:
        """Scratchpad ``on_write`` hook (may run in a worker thread; the store locks)."""
        self._write("scratchpad_write", {"key": key, "value": value})
        try:
            self.store.state[f"{self.name}:scratchpad"] = self.agent.scratchpad.to_dict()
        except Exception as exc:
            self._failed("saving the scratchpad", exc)
        if self._previous_on_write is not None:
            self._previous_on_write(key, value)

    def on_turn_end(self, result: TurnResult) -> None:
        """Turn-end hook: ``turn_end`` event, rollup, snapshot when needed, commit."""
        try:
            ended = time.time()
            usage = result.usage
            error = (
                None if result.error is None else f"{type(result.error).__name__}: {result.error}"
            )
            self.store.append_event(
                self.name,
                "turn_end",
                {
                    "status": result.status,
                    "error": error,
                    "duration_s": result.duration_s,
                    "usage": usage.to_dict(),
                },
                turn_index=result.turn_index,
                ts=ended,
            )
            self.store.record_turn(
                self.name,
                result.turn_index,
                started_at=ended - result.duration_s,
                ended_at=ended,
                tokens_in=usage.prompt_tokens,
                tokens_out=usage.completion_tokens,
                tokens_cached=usage.cached_tokens,
                cost_usd=usage.cost_usd,
                tool_calls=len(result.tool_calls),
                has_error=result.status != "ok"
                or any(c.status not in ("ok", "background") for c in result.tool_calls),
                status=result.status,
            )
            if self.agent.conversation.messages is not self._seen_messages:
                self.snapshot()
            if ended - self._last_active_written >= LAST_ACTIVE_EVERY_S:
                # Throttled: a meta write on every turn would dirty one more page per commit.
                self.store.set_meta("last_active", ended)
                self._last_active_written = ended
            self.store.flush()
        except Exception as exc:
            self._failed("recording the turn end", exc)

    def snapshot(self) -> None:
        """Store the live conversation (after the system prompt) as of the newest event."""
        messages = self.agent.conversation.messages
        self.store.write_snapshot(self.name, list(messages[1:]))
        self._seen_messages = messages

    def close(self, status: str = "completed") -> None:
        """Unhook from the agent, set the final status, commit; close the store if we opened it."""
        if self._closed:
            return
        self._closed = True
        _LIVE.discard(self)
        agent = self.agent
        if self.on_message in agent.conversation.listeners:
            agent.conversation.listeners.remove(self.on_message)
        if self._unsubscribe is not None:
            self._unsubscribe()
        pad = getattr(agent, "scratchpad", None)
        if pad is not None and getattr(pad, "on_write", None) == self.on_scratchpad_write:
            pad.on_write = self._previous_on_write
        try:
            if agent.conversation.messages is not self._seen_messages:
                self.snapshot()
            now = time.time()
            info = dict(self.store.get_meta(f"agent:{self.name}") or {})
            self.store.set_meta(f"agent:{self.name}", {**info, "status": status, "ended_at": now})
            others = _AGENTS_ON_STORE.get(self.store, set())
            others.discard(self.name)
            if not others or status == "crashed":
                self.store.set_meta("status", status)
            self.store.set_meta("last_active", now)
            self.store.flush()
        except Exception as exc:
            self._failed("closing the session", exc)
        finally:
            if self._owns_store:
                self.store.close()

    # ------------------------------------------------------------------ internals

    def _write(self, kind: str, data: dict[str, Any]) -> None:
        try:
            self.store.append_event(self.name, kind, data, turn_index=self.agent.turn_count)
        except Exception as exc:  # recording must never take the agent down
            self._failed(f"writing a {kind} event", exc)

    def _record_subagent(self, event: Activity) -> None:
        payload = event.payload
        job_id = str(payload.get("job_id") or "")
        if not job_id:
            return
        try:
            if event.type == "subagent_start":
                self.store.record_subagent_run(
                    self.name,
                    job_id,
                    event.name,
                    turn_index=self.agent.turn_count,
                    task=str(payload.get("task") or ""),
                    status="running",
                    started_at=time.time(),
                )
            else:
                self.store.record_subagent_run(
                    self.name,
                    job_id,
                    event.name,
                    status=str(payload.get("status") or event.type.removeprefix("subagent_")),
                    result=str(payload.get("result") or ""),
                    ended_at=time.time(),
                )
        except Exception as exc:
            self._failed("recording a sub-agent run", exc)

    def _failed(self, doing: str, exc: BaseException) -> None:
        self.write_errors += 1
        if self.write_errors == 1 or self.write_errors % 1000 == 0:
            logger.error(
                "session write failed; the agent keeps running but the session is incomplete",
                doing=doing,
                session=str(self.store.path),
                agent=self.name,
                failures=self.write_errors,
                error=exc,
            )


def open_session(session: Any, name: str) -> tuple[SessionStore, bool]:
    """Resolve ``session`` (a store, a path, or ``"auto"``) to ``(store, opened_here)``."""
    if isinstance(session, SessionStore):
        return session, False
    if session == "auto":
        return SessionStore(new_session_path(name)), True
    if isinstance(session, (str, os.PathLike)):
        return SessionStore(Path(session)), True
    raise SessionError(
        f"session must be a path, 'auto' or a SessionStore, not {type(session).__name__}"
    )


def attach_session(agent: Any, session: Any) -> SessionAttachment:
    """Record ``agent`` into ``session`` (a path, ``"auto"`` or a :class:`SessionStore`).

    Sets ``agent.session_store``. A path that exists is appended to. The store is closed with
    the agent when it was opened here; a store passed in stays open (its owner closes it).
    """
    if getattr(agent, "session_store", None) is not None:
        raise SessionError(
            f"agent '{agent.name}' already records into {agent.session_store.path}; "
            "a creature writes one session"
        )
    store, owns = open_session(session, agent.name)
    try:
        attachment = SessionAttachment(agent, store, owns_store=owns)
        _write_meta(agent, store)
        if len(agent.conversation.messages) > 1:  # history from before the attach: keep it
            attachment.snapshot()
        store.flush()
    except BaseException:
        if owns:
            store.close()
        raise
    agent.conversation.listeners.append(attachment.on_message)
    attachment._unsubscribe = agent.subscribe(attachment.on_event)
    pad = agent.scratchpad
    attachment._previous_on_write = pad.on_write
    pad.on_write = attachment.on_scratchpad_write
    _hook_lifecycle(agent, attachment)
    agent.session_store = store
    _AGENTS_ON_STORE.setdefault(store, set()).add(agent.name)
    _LIVE.add(attachment)
    return attachment


def _write_meta(agent: Any, store: SessionStore) -> None:
    now = time.time()
    meta = store.meta
    if "session_id" not in meta:
        store.set_meta("session_id", uuid.uuid4().hex)
        store.set_meta("created_at", now)
        store.set_meta("config_type", "agent")
    agents = list(meta.get("agents") or [])
    if agent.name not in agents:
        agents.append(agent.name)
        store.set_meta("agents", agents)
    config_file = getattr(agent.config, "config_file", None)
    llm = agent.llm_identifier() if hasattr(agent, "llm_identifier") else None
    info = {
        "config_path": str(config_file) if config_file else None,
        "pwd": str(agent.pwd),
        "llm": llm,
        "attached_at": now,
        "status": "running",
    }
    store.set_meta(f"agent:{agent.name}", info)
    if agents[0] == agent.name:
        store.set_meta("config_path", info["config_path"])
        store.set_meta("pwd", info["pwd"])
        store.set_meta("llm", llm)
    store.set_meta("status", "running")
    store.set_meta("last_active", now)
    store.set_meta("hostname", socket.gethostname())
    store.set_meta("python_version", platform.python_version())
    store.set_meta("kt_version", __version__)
    store.set_meta("writer_pid", os.getpid())


def _hook_lifecycle(agent: Any, attachment: SessionAttachment) -> None:
    """Call ``on_turn_end`` after every turn and ``close`` when the agent stops.

    Uses ``agent.turn_listeners`` / ``agent.stop_listeners`` when the Agent has them. Until it
    does, the bound ``_drive`` and ``stop`` of this one instance are wrapped.
    """
    turn_listeners = getattr(agent, "turn_listeners", None)
    stop_listeners = getattr(agent, "stop_listeners", None)
    if isinstance(turn_listeners, list) and isinstance(stop_listeners, list):
        turn_listeners.append(attachment.on_turn_end)
        stop_listeners.append(attachment.close)
        return
    drive, stop = agent._drive, agent.stop

    async def _drive(*args: Any, **kwargs: Any) -> Any:
        try:
            result = await drive(*args, **kwargs)
        except BaseException:
            if not attachment.closed:
                attachment.store.flush()
            raise
        if not attachment.closed:
            attachment.on_turn_end(result)
        return result

    async def _stop() -> None:
        try:
            await stop()
        finally:
            attachment.close("completed")

    agent._drive = _drive
    agent.stop = _stop


def _close_live_attachments() -> None:
    for attachment in list(_LIVE):
        running = bool(getattr(attachment.agent, "is_running", False))
        attachment.close("crashed" if running else "completed")


atexit.register(_close_live_attachments)


__all__ = ["STORED_ACTIVITIES", "SessionAttachment", "attach_session", "open_session"]
