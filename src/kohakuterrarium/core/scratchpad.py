"""``Scratchpad``: a small key → text store an agent, its tools and its plugins share.

>>> pad = Scratchpad()
>>> pad.set("plan", "1. read 2. edit")
>>> pad.get("plan")
'1. read 2. edit'
>>> pad.get("missing") is None
True

``on_write(key, value)`` is called after every change (``value`` is None for a delete) so a
session can persist writes as they happen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

logger = get_logger(__name__)


class Scratchpad:
    """Key → text notes, in insertion order."""

    def __init__(
        self,
        data: dict[str, str] | None = None,
        *,
        on_write: Callable[[str, str | None], Any] | None = None,
    ) -> None:
        self._data: dict[str, str] = dict(data or {})
        self.on_write = on_write

    def get(self, key: str, default: str | None = None) -> str | None:
        """The text under ``key``, or ``default`` (None)."""
        return self._data.get(key, default)

    def set(self, key: str, value: str) -> None:
        """Store ``value`` under ``key``."""
        self._data[key] = value
        self._notify(key, value)

    def delete(self, key: str) -> bool:
        """Remove ``key``; False when it was not there."""
        if key not in self._data:
            return False
        del self._data[key]
        self._notify(key, None)
        return True

    def update(self, values: dict[str, str]) -> None:
        """Store every item of ``values``."""
        for key, value in values.items():
            self.set(key, value)

    def clear(self) -> None:
        """Remove every key."""
        for key in list(self._data):
            self.delete(key)

    def list(self) -> list[str]:
        """The keys, in insertion order."""
        return [*self._data]

    def to_dict(self) -> dict[str, str]:
        """A copy of every key and value."""
        return dict(self._data)

    def to_prompt_section(self) -> str:
        """The notes as a Markdown section for a prompt (empty when there are none)."""
        if not self._data:
            return ""
        lines = ["## Scratchpad"]
        lines.extend(f"- **{k}**: {v}" for k, v in self._data.items())
        return "\n".join(lines)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __repr__(self) -> str:
        return f"Scratchpad({len(self._data)} keys)"

    def _notify(self, key: str, value: str | None) -> None:
        hook = self.on_write
        if hook is None:
            return
        try:
            hook(key, value)
        except Exception as exc:  # persistence failing must not break the tool that wrote
            logger.exception("scratchpad on_write failed", key=key, error=exc)


__all__ = ["Scratchpad"]
