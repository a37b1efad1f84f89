"""The one exception hierarchy of KohakuTerrarium.

Every error the framework raises on purpose derives from :class:`KTError`. Each says what went
wrong, where (file, key, creature, tool) and, when we know it, what to do about it.

::

    KTError
    ├── ConfigError                  (file, key path, hint)
    │   ├── UnknownKeyError          a key the schema does not know ("did you mean ...?")
    │   ├── BadValueError            a key with a value of the wrong type or range
    │   ├── MissingFileError         a config / prompt file that does not exist
    │   └── UnknownToolError         a tool name nobody registered
    ├── ModuleLoadError              a custom / package module or class that cannot be imported
    ├── PackageError                 package install / resolution failures
    ├── LLMError                     anything coming from a model provider
    │   ├── AuthError                bad or missing credentials
    │   ├── RateLimitError           429 (carries retry_after)
    │   ├── ContextOverflowError     the prompt does not fit the model's window
    │   ├── UnknownModelError        a profile / preset / model name nobody knows
    │   └── ProviderError            any other provider failure (5xx, malformed stream, ...)
    ├── ToolError                    a tool that failed in a way the caller must see
    │   └── ToolTimeout              a tool that ran past its timeout
    ├── TurnError                    a turn that did not finish normally
    │   ├── TurnTimeout              the turn ran past run(timeout=...)
    │   ├── TurnCancelled            the turn was cancelled by its caller
    │   └── TurnInterrupted          agent.interrupt() stopped the turn
    ├── BudgetExceeded               a token / tool-call / iteration / cost cap was hit
    ├── AgentStateError              programming errors: agent not started, reused after stop
    ├── SessionError                 session file problems
    ├── TerrariumError               engine / graph problems
    │   └── GroupToolError           a group_* tool refused the request
    ├── CompositionError             a compose pipeline step failed
    │   ├── StepFailed               an agent turn in a pipeline did not end ok
    │   └── RouteError               a router had no route for the key (also a KeyError)
    └── MCPError                     MCP server / transport failures

``PluginBlockError`` lives at ``kohakuterrarium.modules.plugin.base`` (packs import it from
there) and is a plain ``Exception`` so plugin authors never need this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


class KTError(Exception):
    """Root of every error KohakuTerrarium raises on purpose."""


# --------------------------------------------------------------------------- config


class ConfigError(KTError):
    """A configuration problem, located by file and key path, with a hint."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.key = key
        self.hint = hint
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.key:
            where.append(f"key '{self.key}'")
        text = f"{': '.join(where)}: {self.message}" if where else self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class UnknownKeyError(ConfigError):
    """A key the schema does not know."""


class BadValueError(ConfigError):
    """A key whose value has the wrong type or is out of range."""


class MissingFileError(ConfigError):
    """A referenced file (config, prompt, module) that does not exist."""


class UnknownToolError(ConfigError):
    """A tool name that is not registered anywhere."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """Return a "did you mean 'x'?" hint for ``name`` among ``candidates``, or None."""
    matches = get_close_matches(name, list(candidates), n=3, cutoff=0.6)
    if not matches:
        return None
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


class ModuleLoadError(KTError):
    """A custom or package module / class that cannot be loaded."""


class PackageError(KTError):
    """A package that cannot be installed, found or resolved."""


# --------------------------------------------------------------------------- llm


class LLMError(KTError):
    """Anything that went wrong talking to a model provider."""

    def __init__(self, message: str, *, provider: str | None = None, model: str | None = None):
        self.provider = provider
        self.model = model
        super().__init__(message)


class AuthError(LLMError):
    """Missing or rejected credentials."""


class RateLimitError(LLMError):
    """The provider said 429; ``retry_after`` is in seconds when it told us."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: str | None):
        self.retry_after = retry_after
        super().__init__(message, **kw)


class ContextOverflowError(LLMError):
    """The request does not fit the model's context window."""


class UnknownModelError(LLMError):
    """A profile, preset or model name nobody knows."""


class ProviderError(LLMError):
    """Any other provider failure: server errors, malformed streams, dropped connections."""


# --------------------------------------------------------------------------- tools and turns


class ToolError(KTError):
    """A tool failure the caller must see (most tool failures become error results instead)."""

    def __init__(self, message: str, *, tool: str | None = None):
        self.tool = tool
        super().__init__(f"tool '{tool}': {message}" if tool else message)


class ToolTimeout(ToolError):
    """A tool ran past its timeout and was cancelled."""


class TurnError(KTError):
    """A turn that did not finish normally."""


class TurnTimeout(TurnError):
    """The turn ran past its timeout and was cancelled."""


class TurnCancelled(TurnError):
    """The turn was cancelled by its caller."""


class TurnInterrupted(TurnError):
    """``agent.interrupt()`` stopped the turn."""


class BudgetExceeded(KTError):
    """A cap on tokens, tool calls, iterations or cost was hit."""

    def __init__(self, message: str, *, budget: str | None = None, limit: float | None = None):
        self.budget = budget
        self.limit = limit
        super().__init__(message)


class AgentStateError(KTError):
    """A programming error: the agent is not started, or was stopped and reused."""


# --------------------------------------------------------------------------- other layers


class SessionError(KTError):
    """A session file that cannot be opened, read or written."""


class TerrariumError(KTError):
    """An engine or creature-graph problem."""


class GroupToolError(TerrariumError):
    """A ``group_*`` tool refused the request."""


class CompositionError(KTError):
    """A step of a :mod:`kohakuterrarium.compose` pipeline failed."""


class StepFailed(CompositionError):
    """An agent turn inside a pipeline ended with a status other than ok."""

    def __init__(self, message: str, *, result: object = None):
        self.result = result
        super().__init__(message)


class RouteError(CompositionError, KeyError):
    """A router got a key it has no route for."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class MCPError(KTError):
    """An MCP server or transport failure."""


__all__ = [
    "AgentStateError",
    "AuthError",
    "BadValueError",
    "BudgetExceeded",
    "CompositionError",
    "ConfigError",
    "ContextOverflowError",
    "GroupToolError",
    "KTError",
    "LLMError",
    "MCPError",
    "MissingFileError",
    "ModuleLoadError",
    "PackageError",
    "ProviderError",
    "RateLimitError",
    "RouteError",
    "SessionError",
    "StepFailed",
    "TerrariumError",
    "ToolError",
    "ToolTimeout",
    "TurnCancelled",
    "TurnError",
    "TurnInterrupted",
    "TurnTimeout",
    "UnknownKeyError",
    "UnknownModelError",
    "UnknownToolError",
    "did_you_mean",
]
