"""Finding and reading skills.

A skill is ``<name>/SKILL.md`` (the folder form wins) or ``<name>.md``, with YAML front matter
(``name``, ``description``, ``disable-model-invocation``, ``paths``, ``allowed-tools``, ...).
Discovery roots, lowest priority first (a later root overrides a skill of the same name):

1. installed packages' ``skills:`` manifest slots (off unless the creature opts in);
2. ``<creature>/prompts/skills``;
3. the user's ``$KT_CONFIG_DIR/skills`` (``~/.kohakuterrarium/skills``), ``~/.claude/skills``,
   ``~/.agents/skills``;
4. the project's ``.kt/skills``, ``.claude/skills``, ``.agents/skills`` under the working dir.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import MissingFileError
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)


@dataclass
class Skill:
    """One procedural skill."""

    name: str
    """How the model asks for it."""
    description: str
    """One line for the index."""
    path: Path
    """The SKILL.md (or <name>.md) file."""
    origin: str = "creature"
    """creature, user, project, or package:<name>."""
    frontmatter: dict[str, Any] = field(default_factory=dict)
    """Every front-matter key."""
    _body: str | None = field(default=None, repr=False)

    @property
    def body(self) -> str:
        """The skill's text (read on first use)."""
        if self._body is None:
            from kohakuterrarium.prompt.skill_loader import parse_frontmatter

            _, self._body = parse_frontmatter(self.path.read_text(encoding="utf-8"))
        return self._body

    @property
    def model_invocable(self) -> bool:
        return not self.frontmatter.get("disable-model-invocation", False)

    @property
    def folder(self) -> Path:
        return self.path.parent


def load_skill_from_path(path: str | os.PathLike[str], origin: str = "creature") -> Skill:
    """Load a skill from its folder (holding SKILL.md) or its .md file."""
    from kohakuterrarium.prompt.skill_loader import parse_frontmatter

    p = Path(path)
    file = p / "SKILL.md" if p.is_dir() else p
    if not file.is_file():
        raise MissingFileError(f"no skill at {p}", hint="a skill is <name>/SKILL.md or <name>.md")
    meta, body = parse_frontmatter(file.read_text(encoding="utf-8"))
    default_name = p.name if p.is_dir() else p.stem
    name = str(meta.get("name") or default_name)
    description = str(meta.get("description") or _first_line(body) or name)
    return Skill(name, description, file, origin, dict(meta), body)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line[:200]
    return ""


def _scan(root: Path, origin: str) -> list[Skill]:
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(root.iterdir()):
        try:
            if (entry.is_dir() and (entry / "SKILL.md").is_file()) or (
                entry.suffix == ".md" and entry.is_file() and not (root / entry.stem).is_dir()
            ):
                found.append(load_skill_from_path(entry, origin))
        except Exception as exc:  # one broken skill must not hide the others
            logger.warning("skipping unreadable skill", path=str(entry), error=str(exc))
    return found


def _package_skills(enabled: Iterable[str]) -> list[Skill]:
    wanted = set(enabled)
    if not wanted:
        return []
    from kohakuterrarium.packages import list_packages, load_manifest

    skills = []
    for pkg in list_packages():
        name, root = pkg.get("name"), pkg.get("path")
        if root is None:
            continue
        root = Path(root)
        for entry in load_manifest(root).get("skills") or []:
            if not isinstance(entry, dict) or "path" not in entry:
                continue
            sname = entry.get("name") or Path(entry["path"]).name
            if "*" not in wanted and sname not in wanted:
                continue
            try:
                skills.append(load_skill_from_path(root / entry["path"], f"package:{name}"))
            except Exception as exc:
                logger.warning("skipping package skill", package=name, skill=sname, error=str(exc))
    return skills


def discover_skills(
    *,
    agent_path: Path | None = None,
    pwd: Path | None = None,
    enabled_package_skills: Iterable[str] = (),
    home: Path | None = None,
    config_dir: Path | None = None,
) -> dict[str, Skill]:
    """Every skill visible to a creature, by name (later roots override earlier ones)."""
    home = home or Path.home()
    if config_dir is None:
        env = os.environ.get("KT_CONFIG_DIR")
        config_dir = Path(env) if env else home / ".kohakuterrarium"
    found: dict[str, Skill] = {}
    layers: list[list[Skill]] = [_package_skills(enabled_package_skills)]
    if agent_path is not None:
        layers.append(_scan(Path(agent_path) / "prompts" / "skills", "creature"))
    for root in (config_dir / "skills", home / ".claude" / "skills", home / ".agents" / "skills"):
        layers.append(_scan(root, "user"))
    if pwd is not None:
        for rel in (".kt/skills", ".claude/skills", ".agents/skills"):
            layers.append(_scan(Path(pwd) / rel, "project"))
    for layer in layers:
        for skill in layer:
            found[skill.name] = skill
    return found


def skill_index(skills: Iterable[Skill], budget_bytes: int = 4096) -> str:
    """The prompt section listing skills, cut to ``budget_bytes``."""
    lines = ["## Skills", "Call the `skill` tool with a name to read a skill before using it."]
    used = sum(len(line.encode()) + 1 for line in lines)
    shown = total = 0
    for skill in skills:
        if not skill.model_invocable:
            continue
        total += 1
        line = f"- `{skill.name}`: {skill.description}"
        size = len(line.encode()) + 1
        if used + size > budget_bytes:
            continue
        lines.append(line)
        used += size
        shown += 1
    if total == 0:
        return ""
    if shown < total:
        lines.append(f"({total - shown} more skills not listed; ask the `skill` tool by name)")
    return "\n".join(lines)


__all__ = ["Skill", "discover_skills", "load_skill_from_path", "skill_index"]
