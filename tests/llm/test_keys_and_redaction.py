"""API keys: stored 0600, file before environment, never in logs, reprs or error messages."""

from __future__ import annotations

import logging
import os
import stat

import pytest
from kt_llm_wire import openai_error, openai_text

from kohakuterrarium.errors import AuthError
from kohakuterrarium.llm.keys import (
    delete_api_key,
    get_api_key,
    keys_path,
    list_api_keys,
    load_api_keys,
    mask_key,
    save_api_key,
)
from kohakuterrarium.llm.profiles import create_provider_for, resolve_profile

SECRET = "sk-live-TOPSECRET-9f8e7d6c5b4a"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_api_keys_file_is_written_with_mode_0600(kt_home):
    path = save_api_key("openai", SECRET)
    assert path == keys_path() == kt_home / "api_keys.yaml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Rewriting keeps it private even if someone loosened it meanwhile.
    path.chmod(0o644)
    save_api_key("anthropic", "sk-ant-other-123456789")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_api_keys() == {"openai": SECRET, "anthropic": "sk-ant-other-123456789"}
    assert not list(kt_home.glob(".api_keys*"))  # no temp file left behind


def test_keys_listing_is_masked_and_delete_works(kt_home):
    save_api_key("openai", SECRET)
    assert list_api_keys() == {"openai": "****5b4a"}
    assert mask_key("short") == "****" and mask_key(None) == "(not set)"
    assert delete_api_key("openai") is True and delete_api_key("openai") is False
    assert get_api_key("openai") is None


def test_file_key_is_checked_before_the_environment(kt_home, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "from-env-0000000000")
    assert get_api_key("openai", "OPENAI_API_KEY") == "from-env-0000000000"
    save_api_key("openai", SECRET)
    assert get_api_key("openai", "OPENAI_API_KEY") == SECRET


def test_loose_key_file_is_reported_without_the_key(kt_home, caplog):
    save_api_key("openai", SECRET)
    keys_path().chmod(0o644)
    with caplog.at_level(logging.DEBUG):
        assert load_api_keys()["openai"] == SECRET
    assert "chmod 600" in caplog.text and SECRET not in caplog.text


def test_broken_key_file_error_does_not_quote_it(kt_home):
    kt_home.mkdir(parents=True)
    keys_path().write_text(f"openai: {SECRET}\n  bad: [indent\n")
    with pytest.raises(Exception) as info:
        load_api_keys()
    assert SECRET not in str(info.value)


async def test_credentials_never_reach_logs_reprs_or_errors(kt_home, monkeypatch, server, caplog):
    # A user backend pointing at our wire server, its key in api_keys.yaml.
    kt_home.mkdir(parents=True, exist_ok=True)
    (kt_home / "llm_profiles.yaml").write_text(
        "version: 3\n"
        f"backends:\n  wire:\n    backend_type: openai\n    base_url: {server.url}/v1\n"
        "    api_key_env: WIRE_KEY\n"
        "presets:\n  wire:\n    wire-model:\n      model: m\n"
        "      retry_policy: {max_retries: 1, base_delay: 0.0, jitter: 0.0}\n"
    )
    server.push(
        openai_error(500, f"upstream saw key {SECRET}", type_="server_error"),  # logged on retry
        openai_text("fine"),
        openai_error(401, f"Incorrect API key provided: {SECRET}", code="invalid_api_key"),
    )
    with caplog.at_level(logging.DEBUG):
        save_api_key("wire", SECRET)
        llm = create_provider_for("wire-model", None)
        try:
            assert [p async for p in llm.stream([{"role": "user", "content": "hi"}])]
            with pytest.raises(AuthError) as info:
                async for _ in llm.stream([{"role": "user", "content": "again"}]):
                    pass
        finally:
            await llm.close()
    assert server.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was used
    assert "retrying" in caplog.text  # the retry was logged ...
    assert {r.name.split(".")[0] for r in caplog.records} >= {"kohakuterrarium", "openai"}
    assert SECRET not in caplog.text  # ... but no log line (ours or the SDK's) holds the key
    assert "***" in str(info.value) and SECRET not in str(info.value)
    profile = resolve_profile("wire-model", None)
    for text in (
        repr(llm),
        str(llm),
        repr(llm.config),
        repr(profile),
        str(profile),
        repr(info.value),
    ):
        assert SECRET not in text
