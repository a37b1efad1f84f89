"""Installing from git (a local bare repository, no network): clone, pin, update, uninstall."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from git_remote import GitRemote, git

import kohakuterrarium.packages as packages
from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages.source import RECORD_FILE, is_git_source, parse_source


def version_of(name: str) -> str:
    root = packages.get_package_root(name)
    assert root is not None
    return packages.load_manifest(root)["version"]


def record_of(name: str) -> packages.InstallRecord:
    root = packages.get_package_root(name)
    assert root is not None
    record = packages.read_install_record(root)
    assert record is not None
    return record


# --------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://example.org/org/pack.git", ("https://example.org/org/pack.git", None)),
        ("https://example.org/org/pack.git@v1.2.0", ("https://example.org/org/pack.git", "v1.2.0")),
        ("https://example.org/org/pack@main", ("https://example.org/org/pack", "main")),
        ("https://user@example.org/org/pack", ("https://user@example.org/org/pack", None)),
        ("git@github.com:org/pack.git", ("git@github.com:org/pack.git", None)),
        ("git@github.com:org/pack.git@abc123", ("git@github.com:org/pack.git", "abc123")),
        ("git@github.com:org/pack@v2", ("git@github.com:org/pack", "v2")),
        ("file:///srv/repo.git@feature/x", ("file:///srv/repo.git", "feature/x")),
        ("./some/folder", ("./some/folder", None)),
    ],
)
def test_parse_source_splits_the_pin(text: str, expected: tuple[str, str | None]) -> None:
    assert parse_source(text) == expected


def test_an_empty_pin_is_an_error() -> None:
    with pytest.raises(PackageError, match="names no ref"):
        parse_source("https://example.org/pack.git@")


def test_git_sources_are_told_from_folders(tmp_path: Path, remote: GitRemote) -> None:
    assert is_git_source("https://example.org/x")
    assert is_git_source("git@host:org/x")
    assert is_git_source(str(tmp_path / "absent.git"))
    assert is_git_source(str(remote.bare))  # a local bare repository is cloned, not copied
    assert not is_git_source(str(remote.work))  # a work tree with a manifest is copied
    assert not is_git_source(str(tmp_path))


# --------------------------------------------------------------------------- install


def test_clone_install_records_source_and_commit(kt_home: Path, remote: GitRemote) -> None:
    assert packages.install_package(remote.url) == "gpack"
    root = kt_home / "packages" / "gpack"
    assert packages.get_package_root("gpack") == root
    assert (root / "creatures" / "general" / "config.yaml").is_file()
    assert (root / ".git").is_dir()  # kept: that is what update works on
    record = record_of("gpack")
    assert (record.kind, record.source, record.ref) == ("git", remote.url, None)
    assert record.commit == git("rev-parse", "HEAD", cwd=remote.work)
    # Our record is invisible to git, so the clone stays clean.
    assert git("status", "--porcelain", cwd=root) == ""
    assert (root / RECORD_FILE).is_file()
    [info] = packages.list_packages()
    assert (info["kind"], info["source"], info["version"]) == ("git", remote.url, "1.0")
    # No staging folders are left behind.
    assert sorted(p.name for p in (kt_home / "packages").iterdir()) == ["gpack"]


def test_a_local_bare_repository_path_is_cloned(kt_home: Path, remote: GitRemote) -> None:
    assert packages.install_package(str(remote.bare)) == "gpack"
    assert record_of("gpack").kind == "git"


def test_name_override_and_a_repository_without_manifest(kt_home: Path, tmp_path: Path) -> None:
    other = GitRemote(tmp_path / "other")
    other.commit({"creatures/x/config.yaml": "name: x\n"}, "no manifest")
    assert packages.install_package(other.url) == "gpack"  # named after the repository
    assert packages.install_package(other.url, name_override="renamed") == "renamed"


def test_pin_a_tag_and_update_leaves_it(kt_home: Path, remote: GitRemote) -> None:
    remote.release("2.0")
    assert packages.install_package(f"{remote.url}@v1.0") == "gpack"
    assert version_of("gpack") == "1.0"
    record = record_of("gpack")
    assert (record.ref, record.ref_kind, record.pinned) == ("v1.0", "tag", True)
    result = packages.update_package("gpack")
    assert result.status == "pinned"
    assert "--ref" in result.message
    assert version_of("gpack") == "1.0"


def test_ref_keyword_pins_like_the_suffix(kt_home: Path, remote: GitRemote) -> None:
    remote.release("2.0")
    packages.install_package(remote.url, ref="v1.0")
    assert version_of("gpack") == "1.0"
    with pytest.raises(PackageError, match="also given"):
        packages.install_package(f"{remote.url}@v1.0", ref="v2.0")


def test_pin_a_commit(kt_home: Path, remote: GitRemote) -> None:
    first = git("rev-parse", "HEAD", cwd=remote.work)
    remote.release("2.0")
    packages.install_package(f"{remote.url}@{first[:10]}")
    assert version_of("gpack") == "1.0"
    record = record_of("gpack")
    assert (record.ref_kind, record.commit) == ("commit", first)


def test_a_missing_ref_fails_and_keeps_the_old_install(kt_home: Path, remote: GitRemote) -> None:
    packages.install_package(remote.url)
    with pytest.raises(PackageError, match="no-such-tag"):
        packages.install_package(f"{remote.url}@no-such-tag")
    assert version_of("gpack") == "1.0"
    assert sorted(p.name for p in (kt_home / "packages").iterdir()) == ["gpack"]


def test_git_and_editable_do_not_mix(kt_home: Path, remote: GitRemote, tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="-e links a local folder"):
        packages.install_package(remote.url, editable=True)
    folder = tmp_path / "plain"
    (folder / "creatures").mkdir(parents=True)
    with pytest.raises(PackageError, match="git sources only"):
        packages.install_package(str(folder), ref="v1")


# --------------------------------------------------------------------------- update


def test_update_fast_forwards_an_unpinned_install(kt_home: Path, remote: GitRemote) -> None:
    packages.install_package(remote.url)
    assert packages.update_package("gpack").status == "up-to-date"
    new = remote.release("2.0")
    result = packages.update_package("gpack")
    assert (result.status, result.new_commit) == ("updated", new)
    assert version_of("gpack") == "2.0"
    assert record_of("gpack").commit == new
    remote.release("3.0")  # a second update on the (shallow) clone works too
    assert packages.update_package("gpack").status == "updated"
    assert version_of("gpack") == "3.0"


def test_update_ref_moves_the_pin(kt_home: Path, remote: GitRemote) -> None:
    remote.release("2.0")
    packages.install_package(f"{remote.url}@v1.0")
    result = packages.update_package("gpack", ref="v2.0")
    assert result.status == "updated"
    assert version_of("gpack") == "2.0"
    assert record_of("gpack").ref == "v2.0"
    assert packages.update_package("gpack").status == "pinned"


def test_a_branch_pin_follows_its_branch(kt_home: Path, remote: GitRemote) -> None:
    remote.commit({"kohaku.yaml": "name: gpack\nversion: dev1\n"}, "dev 1", branch="dev")
    packages.install_package(f"{remote.url}@dev")
    record = record_of("gpack")
    assert (record.ref_kind, record.pinned) == ("branch", False)
    remote.commit({"kohaku.yaml": "name: gpack\nversion: dev2\n"}, "dev 2", branch="dev")
    assert packages.update_package("gpack").status == "updated"
    assert version_of("gpack") == "dev2"


def test_editable_and_copied_installs_do_not_update(
    kt_home: Path, remote: GitRemote, tmp_path: Path
) -> None:
    packages.install_package(remote.work, editable=True)
    result = packages.update_package("gpack")
    assert result.status == "editable"
    assert "yourself" in result.message
    packages.install_package(remote.work, name_override="copied")
    assert record_of("copied").kind == "local"
    with pytest.raises(PackageError, match="cannot update"):
        packages.update_package("copied")
    statuses = {r.name: r.status for r in packages.update_all()}
    assert statuses == {"copied": "not-git", "gpack": "editable"}
    with pytest.raises(PackageError, match="not installed"):
        packages.update_package("absent")


def test_update_refuses_a_rewritten_history(kt_home: Path, remote: GitRemote) -> None:
    packages.install_package(remote.url)
    git("commit", "-q", "--amend", "-m", "rewritten", cwd=remote.work)
    git("push", "-q", "--force", "origin", "main", cwd=remote.work)
    with pytest.raises(PackageError, match="cannot fast-forward"):
        packages.update_package("gpack")


def test_uninstall_removes_the_clone(kt_home: Path, remote: GitRemote) -> None:
    packages.install_package(remote.url)
    assert packages.uninstall_package("@gpack") is True
    assert packages.get_package_root("gpack") is None
    assert packages.uninstall_package("gpack") is False


# --------------------------------------------------------------------------- python dependencies


def test_dependencies_are_only_listed_without_install_deps(
    kt_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    import kohakuterrarium.packages.install as install_mod

    monkeypatch.setattr(install_mod.subprocess, "run", lambda argv, **kw: calls.append(argv))
    pack = tmp_path / "deps-pack"
    (pack / "creatures").mkdir(parents=True)
    (pack / "kohaku.yaml").write_text(
        "name: deps-pack\npython_dependencies: [pyyaml>=5]\n", encoding="utf-8"
    )
    (pack / "requirements.txt").write_text("jinja2\n", encoding="utf-8")
    assert packages.install_package(pack) == "deps-pack"
    assert calls == []
    plan = packages.dependency_plan(kt_home / "packages" / "deps-pack")
    assert plan.specs == ["pyyaml>=5"]
    assert plan.pip_command()[:5] == [sys.executable, "-m", "pip", "install", "pyyaml>=5"]
    assert plan.pip_command()[-2:] == [
        "-r",
        str(kt_home / "packages" / "deps-pack" / "requirements.txt"),
    ]


def test_install_deps_runs_pip_for_real(
    kt_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # already-installed requirements need no index
    monkeypatch.setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    pack = tmp_path / "deps-pack"
    (pack / "creatures").mkdir(parents=True)
    manifest = pack / "kohaku.yaml"
    manifest.write_text("name: deps-pack\npython_dependencies: [pyyaml]\n", encoding="utf-8")
    assert packages.install_package(pack, install_deps=True) == "deps-pack"
    manifest.write_text(
        "name: deps-pack\npython_dependencies: [kt-no-such-distribution-xyz]\n", encoding="utf-8"
    )
    with pytest.raises(PackageError, match="kt-no-such-distribution-xyz"):
        packages.install_package(pack, install_deps=True)
    assert packages.get_package_root("deps-pack") is not None  # the package itself is in place


def test_bad_python_dependencies_are_a_package_error(tmp_path: Path) -> None:
    (tmp_path / "kohaku.yaml").write_text("name: p\npython_dependencies: {a: 1}\n")
    with pytest.raises(PackageError, match="python_dependencies"):
        packages.dependency_plan(tmp_path)
