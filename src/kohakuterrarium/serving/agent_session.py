"""``AgentSession``: chat with an agent as an async iterator of text chunks.

Packs build helper agents and talk to them this way::

    session = AgentSession(agent)
    async for chunk in session.chat("summarise this"):
        ...
    await session.stop()
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any


class AgentSession:
    """A conversation with one agent; starts it on first use."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.last_result: Any = None

    async def start(self) -> None:
        if not self.agent.is_running:
            await self.agent.start()

    async def chat(self, text: Any) -> AsyncIterator[str]:
        """Send ``text`` and yield the reply as it streams."""
        from kohakuterrarium.core.result import TextChunk, TurnEnded

        await self.start()
        async for event in self.agent.run_stream(text):
            if type(event) is TextChunk and event.path == self.agent.path:
                yield event.text
            elif type(event) is TurnEnded:
                self.last_result = event.result

    async def send(self, text: Any) -> str:
        """Send ``text`` and return the whole reply."""
        return "".join([chunk async for chunk in self.chat(text)])

    async def stop(self) -> None:
        if self.agent.is_running:
            await self.agent.stop()


__all__ = ["AgentSession"]
