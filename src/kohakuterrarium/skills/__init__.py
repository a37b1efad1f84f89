"""Procedural skills: ``SKILL.md`` folders the model reads on demand.

The system prompt carries only a short index (name + description, within a byte budget); the
``skill`` tool returns a skill's body when the model asks for it.
"""

from kohakuterrarium.skills.loader import (
    Skill,
    discover_skills,
    load_skill_from_path,
    skill_index,
)

__all__ = ["Skill", "discover_skills", "load_skill_from_path", "skill_index"]
