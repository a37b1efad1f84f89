"""The flat kohakuterrarium.packages API: install, locate, resolve, manifests, prompts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import kohakuterrarium.packages as packages
from kohakuterrarium.errors import MissingFileError, PackageError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


MANIFEST = """
name: demo-pack
version: "1.2.0"
description: A demo pack
creatures:
  - {name: general, path: creatures/general}
  - {name: ghost, path: creatures/ghost}
prompts:
  - {name: git-safety, path: prompts/git-safety.md}
templates:
  - {name: tone, path: prompts/tone.md}
"""


@pytest.fixture
def pkg_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "home" / "packages"
    monkeypatch.setattr(packages, "PACKAGES_DIR", target)
    return target


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src" / "demo"
    write(root / "kohaku.yaml", MANIFEST)
    write(root / "creatures" / "general" / "config.yaml", "name: general\n")
    write(root / "prompts" / "git-safety.md", "Never force-push.\n")
    write(root / "prompts" / "tone.md", "Be kind.\n")
    write(root / "demo_pkg" / "__init__.py", "VALUE = 42\n")
    write(root / "demo_pkg" / "__pycache__" / "junk.pyc", "x")
    return root


# --------------------------------------------------------------------------- install


def test_copy_install_uses_the_manifest_name(pkg_dir: Path, src: Path) -> None:
    # The manifest lists a creature ("ghost") that does not exist: install must not care.
    assert packages.install_package(src) == "demo-pack"
    installed = pkg_dir / "demo-pack"
    assert (installed / "creatures" / "general" / "config.yaml").is_file()
    assert not (installed / "demo_pkg" / "__pycache__").exists()
    assert packages.get_package_root("demo-pack") == installed
    assert not packages.is_editable("demo-pack")


def test_editable_install_writes_a_link_file(pkg_dir: Path, src: Path) -> None:
    assert packages.install_package(str(src), editable=True) == "demo-pack"
    link = pkg_dir / "demo-pack.link"
    assert link.read_text().strip() == str(src.resolve())
    assert packages.get_package_root("demo-pack") == src.resolve()
    assert packages.is_editable("demo-pack")


def test_reinstall_replaces_either_kind(pkg_dir: Path, src: Path) -> None:
    packages.install_package(src)
    packages.install_package(src, editable=True)
    assert not (pkg_dir / "demo-pack").exists()
    assert (pkg_dir / "demo-pack.link").is_file()
    write(src / "new.txt", "fresh")
    packages.install_package(src)
    assert not (pkg_dir / "demo-pack.link").exists()
    assert (pkg_dir / "demo-pack" / "new.txt").read_text() == "fresh"


def test_name_override_and_missing_manifest(pkg_dir: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare-folder"
    write(bare / "creatures" / "x" / "config.yaml", "name: x\n")
    assert packages.install_package(bare) == "bare-folder"
    assert packages.load_manifest(bare) == {"name": "bare-folder"}
    assert packages.install_package(bare, name_override="renamed") == "renamed"
    assert {p["name"] for p in packages.list_packages()} == {"bare-folder", "renamed"}


def test_bad_sources_raise_package_error(pkg_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="no such folder"):
        packages.install_package(tmp_path / "missing")
    # A git URL is cloned; one that does not exist fails with git's reason (no network here).
    with pytest.raises(PackageError, match="git"):
        packages.install_package((tmp_path / "missing.git").as_uri())
    assert not any(pkg_dir.iterdir())  # nothing half-installed, no staging left behind


def test_uninstall(pkg_dir: Path, src: Path) -> None:
    packages.install_package(src, editable=True)
    assert packages.uninstall_package("demo-pack") is True
    assert packages.get_package_root("demo-pack") is None
    assert packages.uninstall_package("demo-pack") is False


def test_a_broken_link_is_reported(pkg_dir: Path, src: Path, tmp_path: Path) -> None:
    pkg_dir.mkdir(parents=True)
    (pkg_dir / "gone.link").write_text(str(tmp_path / "moved-away"))
    with pytest.raises(PackageError, match="reinstall"):
        packages.get_package_root("gone")
    listed = {p["name"]: p for p in packages.list_packages()}
    assert listed["gone"]["path"] is None and "error" in listed["gone"]


# --------------------------------------------------------------------------- locations


def test_packages_dir_follows_kt_config_dir_when_not_patched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KT_CONFIG_DIR", str(tmp_path / "cfg"))
    assert packages.packages_dir() == tmp_path / "cfg" / "packages"


def test_patched_packages_dir_is_read_at_call_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src: Path
) -> None:
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "one")
    packages.install_package(src)
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "two")
    assert packages.get_package_root("demo-pack") is None
    monkeypatch.setattr(packages, "PACKAGES_DIR", tmp_path / "one")
    assert packages.get_package_root("demo-pack") == tmp_path / "one" / "demo-pack"


def test_package_refs(pkg_dir: Path, src: Path) -> None:
    assert packages.is_package_ref("@kt-biome/creatures/general")
    assert packages.is_package_ref('"@kt-biome"')
    assert not packages.is_package_ref("creatures/general")
    assert not packages.is_package_ref(None)
    packages.install_package(src, editable=True)
    assert (
        packages.resolve_package_path("@demo-pack/creatures/general")
        == (src / "creatures" / "general").resolve()
    )
    assert packages.resolve_package_path("@demo-pack") == src.resolve()
    with pytest.raises(PackageError, match="kt install"):
        packages.resolve_package_path("@absent/creatures/general")
    with pytest.raises(MissingFileError, match="ghost"):
        packages.resolve_package_path("@demo-pack/creatures/ghost")


def test_list_packages_reads_manifests(pkg_dir: Path, src: Path) -> None:
    assert packages.list_packages() == []
    packages.install_package(src)
    [info] = packages.list_packages()
    assert (info["name"], info["version"], info["description"]) == (
        "demo-pack",
        "1.2.0",
        "A demo pack",
    )
    assert info["editable"] is False


def test_kohaku_yml_is_a_manifest(tmp_path: Path) -> None:
    write(tmp_path / "p" / "kohaku.yml", "name: yml-pack\n")
    assert packages.load_manifest(tmp_path / "p")["name"] == "yml-pack"


def test_invalid_manifest_raises(tmp_path: Path) -> None:
    write(tmp_path / "p" / "kohaku.yaml", "- a list\n")
    with pytest.raises(PackageError, match="mapping"):
        packages.load_manifest(tmp_path / "p")


# --------------------------------------------------------------------------- prompts and imports


def test_resolve_package_prompt_searches_prompts_and_templates(pkg_dir: Path, src: Path) -> None:
    packages.install_package(src)
    found = packages.resolve_package_prompt("git-safety")
    assert found == (pkg_dir / "demo-pack" / "prompts" / "git-safety.md").resolve()
    assert found.is_absolute()
    assert (
        packages.resolve_package_prompt("tone")
        == (pkg_dir / "demo-pack" / "prompts" / "tone.md").resolve()
    )
    assert packages.resolve_package_prompt("nothing-here") is None


def test_prompt_listed_but_missing_is_an_error(pkg_dir: Path, src: Path) -> None:
    (src / "prompts" / "tone.md").unlink()
    packages.install_package(src, editable=True)
    with pytest.raises(PackageError, match="tone"):
        packages.resolve_package_prompt("tone")


def test_package_roots_become_importable(
    pkg_dir: Path, src: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    packages.install_package(src, editable=True)
    added = packages.ensure_package_roots_importable()
    assert added == [src.resolve()]
    assert str(src.resolve()) in sys.path
    assert packages.ensure_package_roots_importable() == []


def test_importing_packages_does_not_import_yaml() -> None:
    code = "import sys, kohakuterrarium.packages; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
