"""Embedders for semantic session search, built from a config dict.

>>> create_embedder({"provider": "none"}).dimensions
0
>>> emb = create_embedder({"provider": "api", "model": "text-embedding-3-small",
...                        "api_key_env": "OPENAI_API_KEY"})                  # doctest: +SKIP
>>> len(emb.encode_one("hello"))                                               # doctest: +SKIP
1536

Providers available now: ``none`` and ``api`` (any OpenAI-compatible ``/embeddings`` endpoint,
through httpx when it is installed). ``auto`` picks a local embedder when one is installed and
otherwise ``none``; it never downloads a model. The local providers (``model2vec``,
``sentence-transformer``, ``onnx``) are not part of this build yet and are refused with a clear
error.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from kohakuterrarium.errors import BadValueError, SessionError

LOCAL_PROVIDERS = ("model2vec", "sentence-transformer", "onnx")
"""Providers that run a model locally (not available in this build yet)."""

DEFAULT_API_MODEL = "text-embedding-3-small"
"""Model used by the ``api`` provider when none is configured."""
DEFAULT_API_BASE = "https://api.openai.com/v1"
"""Endpoint used by the ``api`` provider when none is configured."""


class Embedder(Protocol):
    """What session memory needs from an embedder."""

    @property
    def dimensions(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> list[list[float]]: ...

    def encode_one(self, text: str) -> list[float]: ...


class NullEmbedder:
    """No embeddings: memory search stays full-text only."""

    provider = "none"

    @property
    def dimensions(self) -> int:
        return 0

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        raise SessionError(
            "no embedder is configured (provider 'none'); set memory.embedding.provider to 'api'"
        )

    def encode_one(self, text: str) -> list[float]:
        return self.encode([text])[0]

    def __repr__(self) -> str:
        return "NullEmbedder()"


class ApiEmbedder:
    """OpenAI-compatible ``POST {base_url}/embeddings``."""

    provider = "api"

    def __init__(
        self,
        *,
        model: str = DEFAULT_API_MODEL,
        base_url: str = DEFAULT_API_BASE,
        api_key: str | None = None,
        dimensions: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.model = model
        """Embedding model name sent to the endpoint."""
        self.base_url = base_url.rstrip("/")
        """Endpoint root (``.../v1``)."""
        self._api_key = api_key
        self._dimensions = dimensions
        self.timeout = timeout
        """Seconds per request."""
        self._client: Any = None

    @property
    def dimensions(self) -> int:
        """Vector size (from the config, else learnt from the first response; 0 until then)."""
        return self._dimensions or 0

    def encode(self, texts: Sequence[str]) -> list[list[float]]:
        """One request for all ``texts``; vectors in the same order."""
        if not texts:
            return []
        import httpx

        if self._client is None:
            headers = {"Authorization": f"Bearer {self._api_key}"} if self._api_key else {}
            self._client = httpx.Client(timeout=self.timeout, headers=headers)
        body: dict[str, Any] = {"model": self.model, "input": list(texts)}
        if self._dimensions:
            body["dimensions"] = self._dimensions
        url = f"{self.base_url}/embeddings"
        try:
            response = self._client.post(url, json=body)
        except httpx.HTTPError as exc:
            raise SessionError(f"embedding request to {url} failed: {exc}") from exc
        if response.status_code != 200:
            raise SessionError(
                f"embedding request to {url} failed: HTTP {response.status_code} "
                f"{response.text[:200]}"
            )
        try:
            items = sorted(response.json()["data"], key=lambda d: d.get("index", 0))
            vectors = [[float(x) for x in item["embedding"]] for item in items]
        except (KeyError, TypeError, ValueError) as exc:
            raise SessionError(f"embedding response from {url} is malformed: {exc}") from exc
        if len(vectors) != len(texts):
            raise SessionError(
                f"embedding response from {url} has {len(vectors)} vectors for {len(texts)} texts"
            )
        if vectors and not self._dimensions:
            self._dimensions = len(vectors[0])
        return vectors

    def encode_one(self, text: str) -> list[float]:
        return self.encode([text])[0]

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __repr__(self) -> str:
        return f"ApiEmbedder(model={self.model!r}, base_url={self.base_url!r})"


def create_embedder(config: Mapping[str, Any] | None = None) -> NullEmbedder | ApiEmbedder:
    """Build the embedder a config asks for (``{"provider": ..., ...}``; None means ``auto``)."""
    config = dict(config or {})
    provider = str(config.get("provider") or "auto").strip().lower().replace("_", "-")
    if provider in ("sentence-transformers", "st"):
        provider = "sentence-transformer"
    if provider == "none":
        return NullEmbedder()
    if provider == "auto":
        # Local embedders are not in this build; never fall back to downloading anything.
        return NullEmbedder()
    if provider in LOCAL_PROVIDERS:
        raise BadValueError(
            f"embedding provider '{provider}' runs a local model, and the local embedders are "
            "not installed in this build yet",
            key="embedding.provider",
            hint="use provider 'api' (an OpenAI-compatible /embeddings endpoint) or 'none'",
        )
    if provider == "api":
        return _api_embedder(config)
    raise BadValueError(
        f"unknown embedding provider '{provider}'",
        key="embedding.provider",
        hint="one of: auto, none, api, model2vec, sentence-transformer, onnx",
    )


def _api_embedder(config: dict[str, Any]) -> ApiEmbedder:
    if importlib.util.find_spec("httpx") is None:
        raise BadValueError(
            "embedding provider 'api' needs the httpx package, which is not installed",
            key="embedding.provider",
            hint="pip install httpx",
        )
    api_key = config.get("api_key")
    env = config.get("api_key_env")
    if not api_key and env:
        api_key = os.environ.get(str(env))
        if not api_key:
            raise BadValueError(
                f"environment variable {env} (api_key_env) is not set",
                key="embedding.api_key_env",
                hint=f"export {env}=... or put api_key in the config",
            )
    dims = config.get("dimensions")
    if dims is not None and (not isinstance(dims, int) or isinstance(dims, bool) or dims <= 0):
        raise BadValueError(
            f"dimensions must be a positive integer, got {dims!r}", key="embedding.dimensions"
        )
    timeout = config.get("timeout", 30.0)
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise BadValueError(
            f"timeout must be a positive number of seconds, got {timeout!r}",
            key="embedding.timeout",
        )
    return ApiEmbedder(
        model=str(config.get("model") or DEFAULT_API_MODEL),
        base_url=str(config.get("base_url") or DEFAULT_API_BASE),
        api_key=str(api_key) if api_key else None,
        dimensions=dims,
        timeout=float(timeout),
    )


__all__ = [
    "DEFAULT_API_BASE",
    "DEFAULT_API_MODEL",
    "LOCAL_PROVIDERS",
    "ApiEmbedder",
    "Embedder",
    "NullEmbedder",
    "create_embedder",
]
