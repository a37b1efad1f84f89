"""Testing helpers for creatures built on KohakuTerrarium.

- :class:`ScriptedLLM` / :class:`ScriptEntry`: a provider that answers from a script (text,
  native tool calls, text-format calls, matching on the prompt, chunked streaming with latency,
  failures half way) and logs every call.
- :class:`TestAgentBuilder`: a real :class:`~kohakuterrarium.core.agent.Agent` wired for tests.
- :class:`OutputRecorder`, :class:`EventRecorder`: what the agent wrote and emitted.
"""

from kohakuterrarium.llm.scripted import ScriptedCall, ScriptedLLM, ScriptEntry
from kohakuterrarium.testing.builder import TestAgentBuilder, TestAgentEnv
from kohakuterrarium.testing.recorders import (
    ActivityRecord,
    EventRecorder,
    OutputRecorder,
    RecordedEvent,
)

__all__ = [
    "ActivityRecord",
    "EventRecorder",
    "OutputRecorder",
    "RecordedEvent",
    "ScriptEntry",
    "ScriptedCall",
    "ScriptedLLM",
    "TestAgentBuilder",
    "TestAgentEnv",
]
