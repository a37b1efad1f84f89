"""Config loading benchmark: a 3-level inheritance chain (general -> swe -> member).

Run: ``python bench/bench_config.py``. Prints figures; asserts nothing. "cold" clears the parse
caches before each load (every file read and parsed again); "warm" reuses them, as a terrarium
does when many creatures share one base. The floor is bare ``yaml.safe_load`` of the same three
files, with no validation, merge or prompt chain.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import yaml

from kohakuterrarium.core import config as config_mod
from kohakuterrarium.core.config import load_agent_config

TOOLS = [
    "bash", "python", "read", "write", "edit", "multi_edit", "notebook_read", "notebook_edit",
    "glob", "grep", "tree", "scratchpad", "info", "ask_user", "json_read", "json_write",
    "send_message", "stop_task", "search_memory", "web_fetch", "web_search",
]  # fmt: skip


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def make_chain(root: Path) -> Path:
    tools = "\n".join(f"  - {{name: {t}, type: builtin}}" for t in TOOLS)
    _write(
        root / "creatures" / "general" / "config.yaml",
        f"""name: general
version: "1.0"
controller:
  tool_format: native
system_prompt_file: prompts/system.md
skill_mode: dynamic
tools:
{tools}
  - {{name: add_timer, type: trigger}}
  - {{name: add_schedule, type: trigger}}
subagents: [explore, plan, worker, critic, summarize, research]
skills: ["*"]
plugins:
  - {{name: context_files, type: package, module: kt_biome.plugins.context_files, class: A}}
  - {{name: family_guidance, type: package, module: kt_biome.plugins.family, class: B}}
  - {{name: otel_metrics, module: kt_biome.plugins.otel, class: C}}
output: {{type: stdout, controller_direct: true}}
memory: {{embedding: {{provider: model2vec, model: "@multilingual-best"}}}}
""",
    )
    _write(root / "creatures" / "general" / "prompts" / "system.md", "# {{ agent_name }}\n" * 160)
    _write(
        root / "creatures" / "swe" / "config.yaml",
        'name: swe\nbase_config: ../general\ncontroller:\n  reasoning_effort: "${REASONING:high}"\n'
        "system_prompt_file: prompts/system.md\n",
    )
    _write(root / "creatures" / "swe" / "prompts" / "system.md", "Edit carefully.\n" * 34)
    _write(
        root / "team" / "member" / "config.yaml",
        "name: member\nbase_config: creatures/swe\nsystem_prompt: You review.\n"
        "output_wiring: [root]\n",
    )
    return root / "team" / "member"


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        member = make_chain(Path(tmp))
        files = sorted(Path(tmp).rglob("config.yaml"))
        load_agent_config(member)  # warm imports

        def cold() -> None:
            config_mod._PARSE_CACHE.clear()
            config_mod._TEXT_CACHE.clear()
            load_agent_config(member)

        def floor() -> None:
            for f in files:
                yaml.safe_load(f.read_text())

        rows = [
            ("3-level chain, cold (parse + validate + merge)", _median_ms(cold, 50)),
            (
                "3-level chain, warm (parse cache hit)",
                _median_ms(lambda: load_agent_config(member), 200),
            ),
            ("floor: yaml.safe_load of the 3 files", _median_ms(floor, 50)),
        ]
        for name, ms in rows:
            print(f"{name:<52} {ms:8.2f} ms")


if __name__ == "__main__":
    main()
