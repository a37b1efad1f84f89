"""What connects an agent to the world outside its loop: the output pump and its triggers.

Both own their tasks (spawned through the agent so ``stop()`` cancels them) and keep the agent
class about lifecycle and turns only.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from kohakuterrarium.core.result import Activity, TextChunk
from kohakuterrarium.errors import BadValueError
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent

logger = get_logger(__name__)


async def maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value) or isinstance(value, asyncio.Future):
        return await value
    return value


class OutputPump:
    """Feeds an output module in order, off the hot path: the loop only enqueues."""

    def __init__(self, agent: Agent, output: Any) -> None:
        self.agent = agent
        self.output = output
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    def start(self) -> None:
        self.agent._sinks.append(self.queue.put_nowait)
        self.agent._spawn(self._pump(), "output")

    async def mark(self, marker: str) -> None:
        """Queue ``processing_start`` / ``processing_end``; the end waits until all is written."""
        self.queue.put_nowait(marker)
        if marker == "processing_end":
            await self.queue.join()

    async def _pump(self) -> None:
        out, path = self.output, self.agent.path
        while True:
            event = await self.queue.get()
            try:
                if type(event) is TextChunk:
                    if event.path == path:
                        await maybe_await(out.write_stream(event.text))
                elif type(event) is Activity:
                    handler = getattr(out, "on_activity", None)
                    if handler is not None:
                        await maybe_await(handler(event.type, event.name, event.payload))
                elif event == "processing_start":
                    await maybe_await(out.on_processing_start())
                elif event == "processing_end":
                    await maybe_await(out.on_processing_end())
            except Exception:
                logger.exception("output module failed", agent=self.agent.name)
            finally:
                self.queue.task_done()


class TriggerSet:
    """The running triggers of one agent; each fired event is queued for the agent."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.triggers: dict[str, tuple[Any, asyncio.Task[Any]]] = {}

    def __contains__(self, trigger_id: object) -> bool:
        return trigger_id in self.triggers

    def ids(self) -> list[str]:
        return list(self.triggers)

    async def add(self, trigger: Any, trigger_id: str | None = None) -> str:
        trigger_id = trigger_id or f"trigger_{type(trigger).__name__}_{len(self.triggers) + 1}"
        if trigger_id in self.triggers:
            raise BadValueError(
                f"a trigger with id '{trigger_id}' already exists", key="trigger_id"
            )
        await maybe_await(trigger.start())
        task = self.agent._spawn(self._loop(trigger_id, trigger), f"trigger-{trigger_id}")
        self.triggers[trigger_id] = (trigger, task)
        return trigger_id

    async def remove(self, trigger: Any) -> bool:
        trigger_id = (
            trigger
            if isinstance(trigger, str)
            else next((k for k, (t, _) in self.triggers.items() if t is trigger), None)
        )
        entry = self.triggers.pop(trigger_id, None) if trigger_id else None
        if entry is None:
            return False
        obj, task = entry
        task.cancel()
        with contextlib.suppress(Exception):
            await maybe_await(obj.stop())
        return True

    async def remove_all(self) -> None:
        for trigger_id in list(self.triggers):
            await self.remove(trigger_id)

    async def _loop(self, trigger_id: str, trigger: Any) -> None:
        agent = self.agent
        while True:
            try:
                event = await trigger.wait_for_trigger()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("trigger failed; removing it", trigger=trigger_id)
                self.triggers.pop(trigger_id, None)
                return
            if event is None:
                if not getattr(trigger, "is_running", True):
                    return
                continue
            agent.emit_activity("trigger_fired", trigger_id, {"type": event.type}, None)
            await agent.inject_event(event)


__all__ = ["OutputPump", "TriggerSet", "maybe_await"]
