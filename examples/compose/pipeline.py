"""A composed pipeline over real agents on one Terrarium engine: ``(a >> fn) & b | c``.

Run it offline with scripted models (the default), or with a real model:

    python examples/compose/pipeline.py                 # scripted answers, no network
    python examples/compose/pipeline.py --llm local     # any preset / profile name

The researcher's answer is post-processed by a plain function, runs in parallel with the
writer, and the whole thing falls back to a backup creature if either branch fails.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from kohakuterrarium import Terrarium
from kohakuterrarium.compose import agent
from kohakuterrarium.testing import ScriptedLLM

CREATURES = Path(__file__).resolve().parents[1] / "creatures"


def headline(text: str) -> str:
    """A plain function as a pipeline step."""
    return text.strip().splitlines()[0].upper() if text.strip() else "(empty)"


def scripted(answer: str) -> ScriptedLLM:
    return ScriptedLLM([answer])


async def main(task: str, llm: str | None) -> list[str] | str:
    async with Terrarium() as engine:

        def model(answer: str):
            return llm if llm else scripted(answer)

        base = CREATURES / "assistant"
        researcher = await agent(base, engine=engine, llm=model("Tea was first drunk in China."))
        writer = await agent(base, engine=engine, llm=model("A short poem about tea."))
        backup = await agent(base, engine=engine, llm=model("Backup answer."))
        pipeline = (researcher >> headline) & writer | backup
        result = await pipeline(task)
        for step in (researcher, writer, backup):
            await step.close()
        return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", nargs="?", default="Tell me about tea.")
    parser.add_argument("--llm", default=None, help="preset or profile name (default: scripted)")
    args = parser.parse_args()
    print(asyncio.run(main(args.task, args.llm)))
