"""The ``send_message`` tool: post a message to a named channel of the creature graph.

Delivery goes through the environment the creature runs in (``ToolContext.environment``, set
by the terrarium engine), which offers::

    class ChannelEnvironment(Protocol):
        async def send(self, channel: str, message: str, *, sender: str,
                       metadata: dict | None = None, reply_to: str | None = None,
                       channel_type: str | None = None) -> str | None:
            '''Deliver ``message``; return its message id (or None).'''

``channel_type`` is passed only when the call gives one, so environments that do not create
channels on demand can leave it out. A creature with no environment is not connected to any
channel and gets an error result saying so.
"""

from __future__ import annotations

import inspect
import json
from typing import Any, Protocol, runtime_checkable

from kohakuterrarium.builtins.tools._shared import DirectTool, environment_of, object_schema
from kohakuterrarium.modules.tool.base import ToolContext, ToolResult


@runtime_checkable
class ChannelEnvironment(Protocol):
    """What an environment must offer for ``send_message``."""

    async def send(self, channel: str, message: str, **kwargs: Any) -> Any: ...


class SendMessageTool(DirectTool):
    """Send a message to a named channel."""

    tool_name = "send_message"
    description = "Send a message to a named channel (other creatures listening on it get it)."
    needs_context = True
    full_doc = (
        "## Behaviour\n- Every listener of the channel receives the message (broadcast).\n"
        "- `reply_to` links it to an earlier message id; `metadata` travels with it.\n"
        "- Fails when this creature is not part of a terrarium (no channels)."
    )

    def get_parameters_schema(self) -> dict[str, Any]:
        return object_schema(
            {
                "channel": {"type": "string", "description": "Channel name."},
                "message": {"type": "string", "description": "The text to send."},
                "reply_to": {"type": "string", "description": "Message id this answers."},
                "channel_type": {
                    "type": "string",
                    "description": "Kind of channel to create if it does not exist yet.",
                },
                "metadata": {"type": "object", "description": "Extra data for listeners."},
            },
            ["channel", "message"],
        )

    async def _execute(
        self, args: dict[str, Any], context: ToolContext | None = None, **_: Any
    ) -> ToolResult:
        channel = args.get("channel")
        message = args.get("message", args.get("content"))
        if not isinstance(channel, str) or not channel.strip():
            return ToolResult(error="send_message needs a 'channel' name")
        if message is None or message == "":
            return ToolResult(error="send_message needs a non-empty 'message'")
        if not isinstance(message, str):
            message = json.dumps(message, ensure_ascii=False)
        metadata = args.get("metadata") or {}
        if not isinstance(metadata, dict):
            return ToolResult(error="metadata must be an object (key -> value)")
        env = environment_of(context)
        send = getattr(env, "send", None)
        if not callable(send):
            return ToolResult(
                error="this creature is not connected to any channel: send_message works only "
                "inside a terrarium (run the creature as part of a recipe)"
            )
        sender = getattr(context, "agent_name", "") or "unknown"
        kwargs: dict[str, Any] = {
            "sender": sender,
            "metadata": metadata,
            "reply_to": args.get("reply_to") or None,
        }
        if args.get("channel_type"):
            kwargs["channel_type"] = str(args["channel_type"])
        try:
            message_id = send(channel.strip(), message, **kwargs)
            if inspect.isawaitable(message_id):
                message_id = await message_id
        except (KeyError, LookupError, ValueError) as exc:
            return ToolResult(error=f"could not send to channel '{channel}': {exc}")
        suffix = f" (id {message_id})" if message_id else ""
        return ToolResult(
            output=f"Message sent to channel '{channel.strip()}'{suffix}.",
            metadata={"channel": channel.strip(), "message_id": message_id},
        )


__all__ = ["ChannelEnvironment", "SendMessageTool"]
