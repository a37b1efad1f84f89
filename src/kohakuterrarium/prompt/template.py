"""Jinja rendering of prompts: ``{{ agent_name }}`` variables and ``{% include "name" %}`` fragments.

Include names resolve, in order, through the resolver registered with
:func:`set_include_resolver` (the packages layer maps fragment names to the ``prompts:`` slot of
installed packages), the directories given with :func:`include_search_dirs`, then as a plain file
path (``~`` expanded, relative to the current directory). Missing variables render as "".

>>> render_template("# {{ agent_name }}", agent_name="swe")
'# swe'
>>> render_template_safe("{% broken", agent_name="swe")
'{% broken'

``_env`` is the module's one Jinja ``Environment``; its template cache may be cleared
(``_env.cache.clear()``) after the set of installed packages changed.
"""

from __future__ import annotations

import contextlib
import os
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from kohakuterrarium.errors import ConfigError
from kohakuterrarium.utils.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

logger = get_logger(__name__)

_resolver: Callable[[str], Path | str | None] | None = None
_search_dirs: ContextVar[tuple[Path, ...]] = ContextVar("kt_template_search_dirs", default=())


def set_include_resolver(
    fn: Callable[[str], Path | str | None] | None,
) -> Callable[[str], Path | str | None] | None:
    """Register the hook that maps an include name to a file (None unsets); returns the old one."""
    global _resolver
    previous, _resolver = _resolver, fn
    return previous


@contextlib.contextmanager
def include_search_dirs(dirs: Iterable[str | os.PathLike[str]]) -> Iterator[None]:
    """Within the block, relative include names are also looked up in ``dirs`` (in order)."""
    token = _search_dirs.set(tuple(Path(d) for d in dirs))
    try:
        yield
    finally:
        _search_dirs.reset(token)


def resolve_include(name: str) -> Path | None:
    """The file an ``{% include name %}`` refers to, or None."""
    if _resolver is not None:
        try:
            found = _resolver(name)
        except Exception as exc:  # a broken resolver must not hide file-path includes
            logger.warning("include resolver failed", name=name, error=exc)
            found = None
        if found is not None and Path(found).is_file():
            return Path(found)
    path = Path(os.path.expanduser(name))
    if not path.is_absolute():
        for base in _search_dirs.get():
            candidate = base / path
            if candidate.is_file():
                return candidate
    return path if path.is_file() else None


class _IncludeLoader(jinja2.BaseLoader):
    """Loads include targets through :func:`resolve_include`."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = resolve_include(template)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        source = path.read_text(encoding="utf-8")
        mtime = path.stat().st_mtime

        def uptodate() -> bool:
            # stale when the name now resolves elsewhere (packages changed) or the file changed
            now = resolve_include(template)
            try:
                return now == path and path.stat().st_mtime == mtime
            except OSError:
                return False

        return source, str(path), uptodate


_env = jinja2.Environment(
    loader=_IncludeLoader(),
    undefined=jinja2.ChainableUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def render_template(text: str, **variables: Any) -> str:
    """Render ``text`` with ``variables``; raises ``ConfigError`` on a syntax error or bad include."""
    try:
        return _env.from_string(text).render(**variables)
    except jinja2.TemplateNotFound as exc:
        raise ConfigError(
            f"prompt includes '{exc.name}', which is neither an installed package prompt nor a file",
            key="system_prompt",
            hint="install the package that provides it, or include a path to an existing file",
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.filename else f"line {exc.lineno}"
        raise ConfigError(
            f"prompt template syntax error at {where}: {exc.message}",
            key="system_prompt",
            hint="fix the Jinja tag, or escape literal braces with {% raw %}...{% endraw %}",
        ) from exc
    except Exception as exc:  # runtime errors inside tags ({{ 1/0 }}, filters)
        raise ConfigError(f"prompt template failed to render: {exc}", key="system_prompt") from exc


def render_template_safe(text: str, **variables: Any) -> str:
    """Like :func:`render_template`, but returns ``text`` unchanged if rendering fails."""
    try:
        return render_template(text, **variables)
    except Exception as exc:
        logger.warning("prompt template not rendered; using it as written", error=exc)
        return text


__all__ = [
    "include_search_dirs",
    "render_template",
    "render_template_safe",
    "resolve_include",
    "set_include_resolver",
]
