"""Budgets: caps on tokens, tool calls and cost, per turn and over the agent's life.

A call that would pass a tool-call cap is refused (the model reads why) and the turn ends with
:class:`~kohakuterrarium.errors.BudgetExceeded`; token and cost caps are checked after every
round, so the turn ends right after the round that crossed them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from kohakuterrarium.errors import BudgetExceeded, UnknownKeyError, did_you_mean

if TYPE_CHECKING:
    from kohakuterrarium.core.agent import Agent
    from kohakuterrarium.core.controller import TurnState


@dataclass
class Budget:
    """The ``budget:`` block; None means no cap."""

    turn_tokens: int | None = None
    """Tokens one turn may use."""
    turn_tool_calls: int | None = None
    """Tool / sub-agent calls one turn may make."""
    total_tokens: int | None = None
    """Tokens the agent may use over its life."""
    total_tool_calls: int | None = None
    """Calls the agent may make over its life."""
    cost_usd: float | None = None
    """Dollars the agent may spend over its life (needs known prices)."""

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None, *, file: str | None = None) -> Budget | None:
        if not data:
            return None
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise UnknownKeyError(
                    f"unknown budget key '{key}'",
                    file=file,
                    key=f"budget.{key}",
                    hint=did_you_mean(key, known) or f"known keys: {', '.join(known)}",
                )
        return cls(**data)

    def refuse_call(self, agent: Agent, turn: TurnState) -> str | None:
        """Why the next call must be refused, or None."""
        if self.turn_tool_calls is not None and turn.calls >= self.turn_tool_calls:
            return f"tool-call budget of {self.turn_tool_calls} per turn is used up"
        if self.total_tool_calls is not None and agent.total_tool_calls >= self.total_tool_calls:
            return f"tool-call budget of {self.total_tool_calls} for this agent is used up"
        return None

    def check(self, agent: Agent, turn: TurnState) -> None:
        """Raise BudgetExceeded when a cap has been passed."""
        if turn.budget_hit:
            raise BudgetExceeded(turn.budget_hit, budget="tool_calls")
        if self.turn_tokens is not None and turn.usage.total_tokens > self.turn_tokens:
            raise BudgetExceeded(
                f"turn {turn.index} used {turn.usage.total_tokens} tokens, over its budget of "
                f"{self.turn_tokens}",
                budget="turn_tokens",
                limit=self.turn_tokens,
            )
        total = agent.total_usage
        if self.total_tokens is not None and total.total_tokens > self.total_tokens:
            raise BudgetExceeded(
                f"agent '{agent.name}' used {total.total_tokens} tokens, over its budget of "
                f"{self.total_tokens}",
                budget="total_tokens",
                limit=self.total_tokens,
            )
        if self.cost_usd is not None and (total.cost_usd or 0.0) > self.cost_usd:
            raise BudgetExceeded(
                f"agent '{agent.name}' spent ${total.cost_usd:.4f}, over its budget of "
                f"${self.cost_usd:.4f}",
                budget="cost_usd",
                limit=self.cost_usd,
            )


__all__ = ["Budget"]
