"""Message and content-part types.

Inside the framework a conversation is a list of OpenAI-shaped message dicts (cheap to append and
to send); these dataclasses are the typed way to build them and the content parts that packs use.

>>> Message("user", [TextPart("hi")]).to_dict()
{'role': 'user', 'content': [{'type': 'text', 'text': 'hi'}]}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass
class TextPart:
    """A piece of text inside a multi-part message."""

    text: str
    """The text itself."""
    type: str = field(default="text", init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass
class ImagePart:
    """An image, by URL or data URL."""

    url: str
    """An http(s) URL or a ``data:`` URL."""
    detail: str = "auto"
    """Resolution hint for providers that support it (low / high / auto)."""
    source_type: str | None = None
    """Where it came from (e.g. "telegram", "tool"), informational."""
    source_name: str | None = None
    """A file or source name, informational."""
    type: str = field(default="image_url", init=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.url, "detail": self.detail}}


@dataclass
class FilePart:
    """A file attached to a message (inlined as text when it is text)."""

    path: str | None = None
    """Path on disk, if any."""
    name: str | None = None
    """Display name."""
    content: str | None = None
    """Inline text content."""
    mime: str | None = None
    """MIME type."""
    data_base64: str | None = None
    """Inline binary content."""
    encoding: str | None = None
    """Text encoding of ``content``."""
    is_inline: bool = True
    """Whether the content travels inside the message."""
    type: str = field(default="file", init=False)

    def to_dict(self) -> dict[str, Any]:
        label = self.name or self.path or "file"
        if self.content is not None:
            return {"type": "text", "text": f"[file: {label}]\n{self.content}"}
        return {"type": "text", "text": f"[file: {label}]"}


ContentPart = TextPart | ImagePart | FilePart
Content = str | list[ContentPart]


def part_to_dict(part: Any) -> dict[str, Any]:
    """Turn a content part (dataclass or already a dict) into its wire dict."""
    if isinstance(part, dict):
        return part
    return part.to_dict()


def content_to_wire(content: Any) -> Any:
    """Turn message content (str or parts) into what goes into a message dict."""
    if content is None or isinstance(content, str):
        return content
    return [part_to_dict(p) for p in content]


def content_text(content: Any) -> str:
    """The plain text of message content (parts joined, images skipped)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    out = []
    for part in content:
        if isinstance(part, dict):
            if part.get("type") == "text":
                out.append(part.get("text", ""))
        elif isinstance(part, TextPart):
            out.append(part.text)
        elif isinstance(part, FilePart) and part.content:
            out.append(part.content)
    return "\n".join(out)


@dataclass
class Message:
    """One conversation message."""

    role: Role
    """system, user, assistant or tool."""
    content: Content | None = ""
    """Text or a list of content parts."""
    name: str | None = None
    """Tool name for tool messages, speaker name otherwise."""
    tool_call_id: str | None = None
    """For tool messages: the call this answers."""
    tool_calls: list[dict[str, Any]] | None = None
    """For assistant messages in native mode: OpenAI-style tool calls."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Framework-only data; never sent to providers."""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": content_to_wire(self.content)}
        if self.name is not None:
            d["name"] = self.name
        if self.tool_call_id is not None:
            d["tool_call_id"] = self.tool_call_id
        if self.tool_calls:
            d["tool_calls"] = self.tool_calls
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Message:
        return cls(
            role=d["role"],
            content=d.get("content"),
            name=d.get("name"),
            tool_call_id=d.get("tool_call_id"),
            tool_calls=d.get("tool_calls"),
        )


__all__ = [
    "Content",
    "ContentPart",
    "FilePart",
    "ImagePart",
    "Message",
    "Role",
    "TextPart",
    "content_text",
    "content_to_wire",
    "part_to_dict",
]
