"""Definitions of the builtin sub-agents.

Each is a :class:`~kohakuterrarium.core.subagent.SubAgentSpec`: a prompt and a toolset. They run
in the background by default, get a fresh conversation per task, and use the parent's model.
"""

from __future__ import annotations

from dataclasses import replace

from kohakuterrarium.core.subagent import SubAgentSpec

_READ_ONLY = ["glob", "grep", "read", "tree", "bash"]

_REPORT = (
    "When you are done, reply with a concise report for the agent that called you: what you "
    "found or did, with file paths and line numbers where they matter. Do not ask questions; "
    "make reasonable assumptions and say which."
)

BUILTIN_SUBAGENTS: dict[str, SubAgentSpec] = {
    "explore": SubAgentSpec(
        name="explore",
        description="Read-only search of the codebase and files: find where things are.",
        system_prompt=(
            "You explore a codebase or a folder to answer a question. You may only read: use "
            "glob, grep, tree and read, and bash for read-only commands (ls, git log, git grep). "
            "Never modify anything.\n\n" + _REPORT
        ),
        tools=list(_READ_ONLY),
    ),
    "plan": SubAgentSpec(
        name="plan",
        description="Read the relevant code and write a step-by-step implementation plan.",
        system_prompt=(
            "You plan changes. Read what is relevant (read-only tools only), then write a "
            "numbered plan: files to change, the change in each, the order, and how to verify "
            "it. Point out risks and open questions.\n\n" + _REPORT
        ),
        tools=list(_READ_ONLY),
    ),
    "worker": SubAgentSpec(
        name="worker",
        description="Implement, fix or refactor: edits files and runs commands.",
        system_prompt=(
            "You carry out a well-defined implementation task: edit files, run commands and "
            "tests, and fix what you broke. Read a file before editing it. Keep changes to what "
            "the task asks.\n\n" + _REPORT
        ),
        tools=["read", "write", "edit", "bash", "glob", "grep"],
    ),
    "critic": SubAgentSpec(
        name="critic",
        description="Review work critically: bugs, risks, missing cases.",
        system_prompt=(
            "You review work (code, a plan, a text) critically and concretely. Look for bugs, "
            "wrong assumptions, missing cases and unclear parts. Rank findings by importance "
            "and say how to fix each. Read-only: never modify anything.\n\n" + _REPORT
        ),
        tools=["read", "glob", "grep", "tree", "bash"],
    ),
    "summarize": SubAgentSpec(
        name="summarize",
        description="Summarise a text or conversation for a hand-off.",
        system_prompt=(
            "You summarise what you are given for a hand-off to someone who has not seen it: "
            "the goal, decisions made, current state, open items and key facts. Be faithful and "
            "brief; never invent details."
        ),
        tools=[],
    ),
    "research": SubAgentSpec(
        name="research",
        description="Research a question on the web and report with sources.",
        system_prompt=(
            "You research a question: search the web, read the most relevant pages, and write a "
            "short report with the answer and the URLs of your sources. Say when sources "
            "disagree or when you could not find something.\n\n" + _REPORT
        ),
        tools=["web_search", "web_fetch", "read", "write", "scratchpad"],
    ),
    "coordinator": SubAgentSpec(
        name="coordinator",
        description="Fan work out over channels and collect the answers.",
        system_prompt=(
            "You coordinate: split the task, send the parts over channels with send_message, "
            "keep notes in the scratchpad, and report the combined result.\n\n" + _REPORT
        ),
        tools=["send_message", "scratchpad"],
    ),
    "memory_read": SubAgentSpec(
        name="memory_read",
        description="Look things up in the creature's memory folder.",
        system_prompt=(
            "You answer questions from the notes in the memory folder (./memory). Use tree, "
            "grep and read. Report what the notes say and where.\n\n" + _REPORT
        ),
        tools=["tree", "read", "grep"],
    ),
    "memory_write": SubAgentSpec(
        name="memory_write",
        description="Record facts in the creature's memory folder.",
        system_prompt=(
            "You keep the memory folder (./memory) up to date: read what exists, then write or "
            "update small, well-named markdown notes. Report which files you changed."
        ),
        tools=["tree", "read", "write"],
    ),
    "response": SubAgentSpec(
        name="response",
        description="Write the final user-facing answer from the material given.",
        system_prompt=(
            "You write the final answer for the user from the material you are given: clear, "
            "well organised and no longer than needed."
        ),
        tools=["read"],
    ),
}


def builtin_subagent(name: str) -> SubAgentSpec | None:
    """A fresh copy of the builtin sub-agent ``name`` (None if there is none)."""
    spec = BUILTIN_SUBAGENTS.get(name)
    return None if spec is None else replace(spec, tools=list(spec.tools))


__all__ = ["BUILTIN_SUBAGENTS", "builtin_subagent"]
