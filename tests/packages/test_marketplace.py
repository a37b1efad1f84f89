"""The marketplace: local and HTTP indexes, search, ``ensure("@name")`` (no network beyond 127.0.0.1)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from git_remote import GitRemote

import kohakuterrarium.packages as packages
from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages.marketplace import read_index


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def local_pack(folder: Path, name: str) -> Path:
    write(folder / "kohaku.yaml", f"name: {name}\nversion: '0.1'\n")
    write(folder / "creatures" / "c" / "config.yaml", "name: c\n")
    return folder


def configure(home: Path, *sources: str, builtin: bool = False) -> None:
    body = {"sources": list(sources), "builtin": builtin}
    write(home / "marketplace.yaml", json.dumps(body))


@pytest.fixture
def index(tmp_path: Path, kt_home: Path, remote: GitRemote) -> Path:
    """A YAML index listing a git pack (pinned), a folder pack (relative path) and a bad entry."""
    local_pack(tmp_path / "indexes" / "packs" / "folder-pack", "folder-pack")
    path = write(
        tmp_path / "indexes" / "index.yaml",
        f"""
packages:
  - name: gpack
    description: Git pack for testing
    source: {remote.url}
    ref: v1.0
    version: "1.0"
    tags: [testing, git]
  - name: folder-pack
    description: A pack in a folder next to the index
    source: packs/folder-pack
    tags: [local]
  - description: no name, skipped
""",
    )
    configure(kt_home, "indexes/index.yaml")  # relative to the marketplace file's folder
    write(kt_home / "indexes" / "index.yaml", path.read_text(encoding="utf-8"))
    local_pack(kt_home / "indexes" / "packs" / "folder-pack", "folder-pack")
    return path


@pytest.fixture
def http_index(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields (base URL, folder)."""
    www = tmp_path / "www"
    www.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(www), **kwargs)

        def log_message(self, *args):  # keep test output clean
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", www
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- reading indexes


def test_a_local_index_is_read_and_bad_entries_reported(index: Path, kt_home: Path) -> None:
    market = packages.load_marketplace()
    assert [e.name for e in market.entries] == ["gpack", "folder-pack"]
    folder = market.get("folder-pack")
    assert folder is not None
    assert folder.source == str(kt_home / "indexes" / "packs" / "folder-pack")
    assert market.get("gpack").ref == "v1.0"
    assert len(market.problems) == 1 and "needs a 'name'" in market.problems[0]


def test_search_matches_name_description_and_tags(index: Path) -> None:
    assert [e.name for e in packages.search("")] == ["gpack", "folder-pack"]
    assert [e.name for e in packages.search("PACK")] == ["gpack", "folder-pack"]
    assert [e.name for e in packages.search("folder-pack")] == ["folder-pack"]
    assert [e.name for e in packages.search("git")] == ["gpack"]  # description and tag
    assert [e.name for e in packages.search("local")] == ["folder-pack"]  # tag only
    assert packages.search("nothing-like-it") == []


def test_exact_name_ranks_first(tmp_path: Path) -> None:
    path = write(
        tmp_path / "i.json",
        json.dumps(
            {
                "packages": [
                    {"name": "web-tools", "source": "https://x/a.git", "description": "web"},
                    {"name": "crawler", "source": "https://x/b.git", "description": "web crawl"},
                    {"name": "web", "source": "https://x/c.git"},
                ]
            }
        ),
    )
    found = packages.load_marketplace([str(path)], builtin=False).search("web")
    assert [e.name for e in found] == ["web", "web-tools", "crawler"]


def test_an_http_index_is_fetched(
    http_index: tuple[str, Path], kt_home: Path, remote: GitRemote
) -> None:
    base, www = http_index
    write(www / "index.json", json.dumps([{"name": "gpack", "source": remote.url}]))
    configure(kt_home, f"{base}/index.json")
    [entry] = packages.search("gpack")
    assert (entry.source, entry.index) == (remote.url, f"{base}/index.json")
    root = packages.ensure("@gpack")
    assert root == kt_home / "packages" / "gpack"


def test_an_unreachable_index_is_a_problem_not_a_crash(
    http_index: tuple[str, Path], kt_home: Path, index: Path
) -> None:
    base, _ = http_index
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/index.yaml"
    configure(kt_home, dead, f"{base}/missing.yaml", "indexes/index.yaml")
    market = packages.load_marketplace()
    assert [e.name for e in market.entries] == ["gpack", "folder-pack"]
    assert any(dead in p for p in market.problems)
    assert any("404" in p or "Not Found" in p for p in market.problems)


def test_malformed_indexes_and_marketplace_files(tmp_path: Path, kt_home: Path) -> None:
    with pytest.raises(PackageError, match="packages"):
        read_index(str(write(tmp_path / "i.yaml", "just: a mapping\n")))
    with pytest.raises(PackageError, match="cannot read index"):
        read_index(str(tmp_path / "absent.yaml"))
    write(kt_home / "marketplace.yaml", "sources: not-a-list\n")
    with pytest.raises(PackageError, match="must be a list"):
        packages.load_marketplace()


def test_builtin_index_is_on_unless_turned_off(kt_home: Path) -> None:
    assert packages.load_marketplace().get("kt-biome") is not None  # no marketplace file
    configure(kt_home, builtin=False)
    assert packages.load_marketplace().get("kt-biome") is None


# --------------------------------------------------------------------------- ensure


def test_ensure_installs_from_the_marketplace_once(index: Path, kt_home: Path) -> None:
    root = packages.ensure("@gpack")
    assert root == kt_home / "packages" / "gpack"
    record = packages.read_install_record(root)
    assert record is not None and record.ref == "v1.0"  # the index pins the tag
    stamp = (root / "kohaku.yaml").stat().st_mtime_ns
    # Idempotent: installed packages are returned without reading any index.
    write(kt_home / "marketplace.yaml", "sources: [/nonexistent/index.yaml]\nbuiltin: false\n")
    assert packages.ensure("@gpack/creatures/general") == root
    assert packages.ensure("gpack") == root
    assert (root / "kohaku.yaml").stat().st_mtime_ns == stamp


def test_ensure_installs_a_folder_source(index: Path, kt_home: Path) -> None:
    root = packages.ensure("@folder-pack")
    assert (root / "creatures" / "c" / "config.yaml").is_file()


def test_ensure_accepts_an_editable_install(index: Path, kt_home: Path, tmp_path: Path) -> None:
    src = local_pack(tmp_path / "mine", "mine")
    packages.install_package(src, editable=True)
    assert packages.ensure("@mine") == src.resolve()


def test_ensure_unknown_package_says_what_to_do(index: Path) -> None:
    with pytest.raises(PackageError, match="not in the marketplace") as info:
        packages.ensure("@nobody-has-this")
    assert "marketplace.yaml" in str(info.value)
    assert "kt install" in str(info.value)


def test_ensure_offline_names_the_failing_index(kt_home: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/index.yaml"
    configure(kt_home, dead)
    with pytest.raises(PackageError, match="cannot fetch index") as info:
        packages.ensure("@gpack")
    assert dead in str(info.value)
    assert packages.get_package_root("gpack") is None


def test_ensure_reports_a_broken_source(tmp_path: Path, kt_home: Path) -> None:
    path = write(
        tmp_path / "i.yaml",
        f"packages: [{{name: gone, source: {(tmp_path / 'gone.git').as_uri()}}}]\n",
    )
    configure(kt_home, str(path))
    with pytest.raises(PackageError, match=r"'gone' from .* could not be installed"):
        packages.ensure("@gone")
