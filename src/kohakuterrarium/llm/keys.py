"""The home directory and API keys (``api_keys.yaml``).

Keys live in ``$KT_CONFIG_DIR/api_keys.yaml`` (default ``~/.kohakuterrarium/api_keys.yaml``) as
``{provider: key}``. The file is written with mode 0600 (created that way through ``os.open``,
replaced atomically) and a looser mode found on read is reported without ever printing a key.
A key in the file wins over the backend's environment variable. Keys are never logged; use
:func:`mask_key` wherever one must be shown.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import yaml

from kohakuterrarium.errors import BadValueError, ConfigError
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

HOME_ENV = "KT_CONFIG_DIR"
KEYS_FILE = "api_keys.yaml"


def config_home() -> Path:
    """``$KT_CONFIG_DIR``, else ``~/.kohakuterrarium`` (read on every call; not created)."""
    env = os.environ.get(HOME_ENV)
    return Path(env).expanduser() if env else Path.home() / ".kohakuterrarium"


def keys_path() -> Path:
    """Where API keys are stored."""
    return config_home() / KEYS_FILE


def mask_key(key: str | None) -> str:
    """A key as it may be shown: its last four characters at most (``****abcd``)."""
    if not key:
        return "(not set)"
    return "****" + key[-4:] if len(key) >= 12 else "****"


def load_api_keys() -> dict[str, str]:
    """``{provider: key}`` from ``api_keys.yaml`` (empty when the file does not exist)."""
    path = keys_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the API key file: {exc.strerror}", file=str(path)) from exc
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            logger.warning(
                "API key file is readable by other users; run `chmod 600` on it",
                file=str(path),
                mode=oct(mode),
            )
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        # The parser's message may quote the file's content, i.e. a key: keep only the position.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"the API key file is not valid YAML{where}", file=str(path)) from None
    if not isinstance(data, dict):
        raise BadValueError("the API key file must map provider names to keys", file=str(path))
    return {str(k): str(v) for k, v in data.items() if v}


def get_api_key(provider: str, env_var: str | None = None) -> str | None:
    """The key for ``provider``: ``api_keys.yaml`` first, then the environment variable."""
    key = load_api_keys().get(provider)
    if key:
        return key
    if env_var:
        return os.environ.get(env_var) or None
    return None


def _write_keys(keys: dict[str, str]) -> Path:
    path = keys_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    # Created 0600 from the first byte (no window where another user could read it).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # O_CREAT's mode is ignored when the temp file existed
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            yaml.safe_dump(dict(sorted(keys.items())), fh, default_flow_style=False)
        os.replace(tmp, path)
    finally:
        if fd != -1:
            os.close(fd)
        if tmp.exists():
            tmp.unlink()
    return path


def save_api_key(provider: str, key: str) -> Path:
    """Store ``key`` for ``provider`` in ``api_keys.yaml`` (mode 0600); returns the file path."""
    key = key.strip()
    if not provider or not key:
        raise BadValueError("both a provider name and a non-empty key are needed", key=provider)
    keys = load_api_keys()
    keys[provider] = key
    path = _write_keys(keys)
    logger.info("API key saved", provider=provider, key=mask_key(key), file=str(path))
    return path


def delete_api_key(provider: str) -> bool:
    """Remove ``provider``'s key; True when there was one."""
    keys = load_api_keys()
    if provider not in keys:
        return False
    del keys[provider]
    _write_keys(keys)
    logger.info("API key deleted", provider=provider)
    return True


def list_api_keys() -> dict[str, str]:
    """``{provider: masked key}`` of the stored keys."""
    return {p: mask_key(k) for p, k in sorted(load_api_keys().items())}


__all__ = [
    "HOME_ENV",
    "config_home",
    "delete_api_key",
    "get_api_key",
    "keys_path",
    "list_api_keys",
    "load_api_keys",
    "mask_key",
    "save_api_key",
]
