"""Front matter of skill and prompt files: a YAML mapping between two ``---`` lines at the top.

>>> parse_frontmatter("---\\nname: pdf-merge\\n---\\nMerge PDFs.\\n")
({'name': 'pdf-merge'}, 'Merge PDFs.\\n')
>>> parse_frontmatter("no front matter")
({}, 'no front matter')
"""

from __future__ import annotations

from typing import Any

from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

_OPEN = "---"
_CLOSE = ("---", "...")


def parse_frontmatter(text: str) -> tuple[dict[str, Any], str]:
    """Split ``text`` into (front-matter mapping, body).

    Returns ``({}, text)`` unchanged when the text does not start with a ``---`` line, the block
    is never closed, or its YAML is invalid or not a mapping (that case is logged).
    """
    if not text:
        return {}, text
    src = text[1:] if text.startswith("\ufeff") else text
    lines = src.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != _OPEN:
        return {}, text
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() in _CLOSE:
            break
    else:
        return {}, text
    import yaml  # lazy: keep `import kohakuterrarium.prompt` cheap

    block = "".join(lines[1:i])
    try:
        meta = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        logger.warning("front matter is not valid YAML; treating the file as body only", error=exc)
        return {}, text
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        logger.warning("front matter is not a mapping; ignored", got=type(meta).__name__)
        return {}, text
    body = "".join(lines[i + 1 :]).lstrip("\r\n")
    return meta, body


__all__ = ["parse_frontmatter"]
