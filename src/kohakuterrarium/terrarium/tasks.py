"""Task ownership for the engine: every background task has one owner that cancels it.

:class:`TaskOwner` is a set of tasks with ``spawn`` and ``cancel_all``. :class:`SerialPump`
runs queued coroutines one at a time, in order, and only keeps a task alive while it has work:
idle creatures cost no task at all, which is what lets one engine host thousands of them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)


class TaskOwner:
    """A set of background tasks that can all be cancelled and awaited at once."""

    __slots__ = ("_closed", "_tasks", "name")

    def __init__(self, name: str = "terrarium") -> None:
        self.name = name
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, Any], label: str) -> asyncio.Task[Any] | None:
        """Run ``coro`` as an owned task (None, and the coroutine closed, once shut down)."""
        if self._closed:
            coro.close()
            return None
        task = asyncio.get_running_loop().create_task(coro, name=f"kt-{self.name}-{label}")
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            logger.error(
                "background task failed", task=task.get_name(), error=f"{type(exc).__name__}: {exc}"
            )

    async def cancel_all(self, *, close: bool = True, timeout: float = 5.0) -> None:
        """Cancel every task and wait (bounded) for them to finish."""
        if close:
            self._closed = True
        current = asyncio.current_task()
        while True:
            pending = [t for t in self._tasks if t is not current and not t.done()]
            if not pending:
                return
            for task in pending:
                task.cancel()
            _done, still = await asyncio.wait(pending, timeout=timeout)
            if still:
                logger.warning("tasks did not finish after cancel", count=len(still))
                return


class SerialPump:
    """A FIFO of items handled one at a time by ``handler``; a task runs only while items wait.

    ``push`` never blocks and never drops: bounding is the caller's job (the channel and wiring
    layers bound what they push).
    """

    __slots__ = ("_handler", "_items", "_label", "_owner", "_task")

    def __init__(
        self, owner: TaskOwner, label: str, handler: Callable[[Any], Awaitable[None]]
    ) -> None:
        self._owner = owner
        self._label = label
        self._handler = handler
        self._items: deque[Any] = deque()
        self._task: asyncio.Task[Any] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None or bool(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def push(self, item: Any) -> None:
        self._items.append(item)
        if self._task is None:
            self._task = self._owner.spawn(self._run(), self._label)
            if self._task is None:  # owner shut down
                self._items.clear()

    def clear(self) -> None:
        self._items.clear()

    async def _run(self) -> None:
        try:
            while self._items:
                item = self._items.popleft()
                try:
                    await self._handler(item)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("pump handler failed", pump=self._label)
        finally:
            self._task = None


__all__ = ["SerialPump", "TaskOwner"]
