"""Load user classes named in configs: ``type: package`` (dotted module) and ``type: custom``
(a ``.py`` file relative to the creature folder).

Constructors are called the way packs expect: ``cls(**options)``, and when that is refused with a
TypeError and the class takes an ``options`` parameter, ``cls(options=options)``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import ModuleLoadError


def _import_file(path: Path) -> Any:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    name = f"kt_custom_{path.stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ModuleLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise ModuleLoadError(f"importing {path} failed: {type(exc).__name__}: {exc}") from exc
    return module


def load_class(
    module: str | None,
    class_name: str | None,
    *,
    kind: str,
    name: str,
    base_dirs: list[Path] | None = None,
) -> type:
    """Import ``class_name`` from ``module`` (dotted path, or a .py file path)."""
    if not module or not class_name:
        raise ModuleLoadError(f"{kind} '{name}': both 'module' and 'class' are required")
    if module.endswith(".py") or "/" in module or module.startswith("."):
        candidates = (
            [Path(module)]
            if Path(module).is_absolute()
            else [(d / module) for d in (base_dirs or [Path.cwd()])]
        )
        path = next((c.resolve() for c in candidates if c.is_file()), None)
        if path is None:
            raise ModuleLoadError(
                f"{kind} '{name}': module file '{module}' not found "
                f"(looked in {', '.join(str(c.parent) for c in candidates)})"
            )
        mod = _import_file(path)
    else:
        try:
            from kohakuterrarium.packages import ensure_package_roots_importable

            ensure_package_roots_importable()
        except ImportError:
            pass
        try:
            mod = importlib.import_module(module)
        except Exception as exc:
            raise ModuleLoadError(
                f"{kind} '{name}': cannot import module '{module}': {type(exc).__name__}: {exc}"
            ) from exc
    cls = getattr(mod, class_name, None)
    if cls is None:
        raise ModuleLoadError(f"{kind} '{name}': module '{module}' has no class '{class_name}'")
    return cls


def instantiate(cls: type, options: dict[str, Any], *, kind: str, name: str) -> Any:
    """``cls(**options)``, falling back to ``cls(options=options)`` for options-dict classes."""
    try:
        return cls(**options) if options else cls()
    except TypeError as first:
        try:
            params = inspect.signature(cls).parameters
        except (TypeError, ValueError):
            params = {}
        if "options" in params:
            try:
                return cls(options=dict(options))
            except TypeError:
                pass
        raise ModuleLoadError(
            f"{kind} '{name}': cannot construct {cls.__name__}: {first}"
        ) from first


__all__ = ["instantiate", "load_class"]
