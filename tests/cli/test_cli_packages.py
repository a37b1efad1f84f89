"""``kt install | uninstall | update | list | info | marketplace search`` through the real command.

Every test runs ``python -m kohakuterrarium`` in a subprocess whose ``KT_CONFIG_DIR`` is a temp
folder; git remotes are local bare repositories; nothing touches the network.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


@pytest.fixture
def ktc(kt_env: dict[str, str], tmp_path: Path):
    """Run ``kt ARGS`` with the temp home, in ``cwd`` (default: tmp_path)."""

    def run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "kohakuterrarium", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=kt_env,
            cwd=cwd or tmp_path,
            timeout=60,
        )

    return run


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A pack laid out like kt-biome: manifest slots, a base creature and a child inheriting it."""
    root = tmp_path / "pack"
    write(
        root / "kohaku.yaml",
        """
name: mini-biome
version: "0.2.0"
description: A small pack shaped like kt-biome
creatures:
  - {name: general, path: creatures/general, description: the base}
  - {name: coder, path: creatures/coder, description: writes code, base: general}
terrariums:
  - {name: duo, path: terrariums/duo, uses: [general, coder]}
prompts:
  - {name: house-rules, path: prompts/house-rules.md}
skills:
  - {name: tidy, path: skills/tidy}
""",
    )
    write(
        root / "creatures" / "general" / "config.yaml",
        "name: general\ndescription: The base creature\ncontroller:\n  tool_format: native\n"
        "system_prompt_file: prompts/system.md\ntools:\n  - read\n  - glob\n",
    )
    write(root / "creatures" / "general" / "prompts" / "system.md", "You are general.\n")
    write(
        root / "creatures" / "coder" / "config.yaml",
        'name: coder\ndescription: Writes code\nbase_config: "@mini-biome/creatures/general"\n'
        "system_prompt: You also write code.\ntools:\n  - write\n",
    )
    write(
        root / "terrariums" / "duo" / "terrarium.yaml",
        "terrarium:\n  name: duo\n  creatures:\n    - name: a\n"
        '      base_config: "@mini-biome/creatures/general"\n'
        "      channels: {listen: [t], can_send: [t]}\n  channels:\n    t: {description: tasks}\n",
    )
    write(root / "prompts" / "house-rules.md", "Be tidy.\n")
    write(root / "skills" / "tidy" / "SKILL.md", "---\nname: tidy\ndescription: tidy\n---\nTidy.\n")
    return root


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare git repository with tags v1.0 and v2.0 (main at 2.0)."""
    bare = tmp_path / "remote" / "gpack.git"
    work = tmp_path / "remote-work"
    git("init", "-q", "--bare", "--initial-branch", "main", str(bare))
    git("clone", "-q", str(bare), str(work))
    git("checkout", "-q", "-B", "main", cwd=work)
    for version in ("1.0", "2.0"):
        write(work / "kohaku.yaml", f'name: gpack\nversion: "{version}"\ndescription: git pack\n')
        write(work / "creatures" / "general" / "config.yaml", "name: general\n")
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", version, cwd=work)
        git("tag", "-a", f"v{version}", "-m", version, cwd=work)
    git("push", "-q", "origin", "main", "--tags", cwd=work)
    return bare


# --------------------------------------------------------------------------- the main story


def test_editable_pack_lists_explains_and_runs(ktc, pack: Path, kt_env: dict[str, str]) -> None:
    proc = ktc("install", "./pack", "-e")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"installed mini-biome 0.2.0 (editable link to {pack})")
    assert "creatures: general, coder" in proc.stdout
    link = Path(kt_env["KT_CONFIG_DIR"]) / "packages" / "mini-biome.link"
    assert link.read_text().strip() == str(pack)

    listing = ktc("list")
    assert listing.returncode == 0, listing.stderr
    assert f"mini-biome 0.2.0  [editable {pack}]" in listing.stdout
    assert "creatures: general, coder" in listing.stdout
    assert "terrariums: duo" in listing.stdout

    data = json.loads(ktc("list", "--json").stdout)
    [row] = data["packages"]
    assert (row["name"], row["kind"], row["editable"]) == ("mini-biome", "editable", True)
    assert [c["name"] for c in row["creatures"]] == ["general", "coder"]

    info = ktc("info", "@mini-biome/creatures/coder")
    assert info.returncode == 0, info.stderr
    lines = info.stdout.splitlines()
    assert lines[0] == "creature: coder"
    assert "  tools:       read, glob, write (3)" in lines  # inherited, then its own
    assert "  tool format: native" in lines  # inherited from the base's controller block
    assert any(line.startswith("  inherits:") and "general" in line for line in lines)
    assert any(line.startswith("  prompt:") for line in lines)

    run = ktc(
        "run", "@mini-biome/creatures/coder", "--mode", "plain", "--llm", "scripted:hi",
        "--no-session", stdin="hello\n",
    )  # fmt: skip
    assert (run.returncode, run.stdout) == (0, "hi\n"), run.stderr


def test_info_json_on_packages_recipes_and_folders(ktc, pack: Path, tmp_path: Path) -> None:
    assert ktc("install", str(pack), "-e").returncode == 0
    package = json.loads(ktc("info", "@mini-biome", "--json").stdout)
    assert (package["kind"], package["name"], package["version"]) == (
        "package", "mini-biome", "0.2.0",
    )  # fmt: skip
    assert package["skills"] == ["tidy"] and package["prompts"] == ["house-rules"]
    recipe = json.loads(ktc("info", "@mini-biome/terrariums/duo", "--json").stdout)
    assert (recipe["kind"], recipe["creatures"]) == ("terrarium", ["a"])
    folder = json.loads(ktc("info", str(pack / "creatures" / "general"), "--json").stdout)
    assert (folder["name"], folder["tools"], folder["inherits"]) == (
        "general", ["read", "glob"], [],
    )  # fmt: skip


def test_info_errors_are_one_line_and_exit_1(ktc, tmp_path: Path) -> None:
    for ref in ("@not-installed/creatures/x", str(tmp_path / "nowhere")):
        proc = ktc("info", ref)
        assert proc.returncode == 1
        assert proc.stdout == ""
        assert proc.stderr.startswith("kt info: ") and proc.stderr.count("\n") == 1
    broken = write(tmp_path / "broken" / "config.yaml", "name: b\ntools: 3\n").parent
    proc = ktc("info", str(broken))
    assert proc.returncode == 1 and proc.stderr.startswith("kt info: ")
    assert "Traceback" not in proc.stderr


# --------------------------------------------------------------------------- git


def test_git_install_pin_update_uninstall(ktc, remote: Path) -> None:
    url = remote.as_uri()
    proc = ktc("install", f"{url}@v1.0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("installed gpack 1.0 (at ")
    assert f"from {url} pinned at v1.0" in proc.stdout
    assert f"[git {url}@v1.0 " in ktc("list").stdout

    pinned = ktc("update", "gpack")
    assert (pinned.returncode, pinned.stdout.startswith("gpack: pinned at v1.0")) == (0, True)
    moved = ktc("update", "gpack", "--ref", "v2.0")
    assert moved.returncode == 0 and "updated" in moved.stdout
    assert json.loads(ktc("list", "--json").stdout)["packages"][0]["version"] == "2.0"

    assert ktc("update", "--all").stdout.startswith("gpack: pinned at v2.0")
    assert ktc("uninstall", "gpack").stdout == "uninstalled gpack\n"
    again = ktc("uninstall", "gpack")
    assert again.returncode == 1 and again.stderr.startswith("kt uninstall: ")


def test_update_needs_one_target(ktc) -> None:
    for argv in (["update"], ["update", "x", "--all"], ["update", "--all", "--ref", "v1"]):
        proc = ktc(*argv)
        assert proc.returncode == 2 and proc.stderr.startswith("kt update: ")


def test_updating_a_copy_or_an_editable_install(ktc, pack: Path) -> None:
    assert ktc("install", str(pack), "--name", "copied").returncode == 0
    proc = ktc("update", "copied")
    assert proc.returncode == 1 and "cannot update" in proc.stderr
    assert ktc("install", str(pack), "-e").returncode == 0
    proc = ktc("update", "mini-biome")
    assert proc.returncode == 0 and "editable install" in proc.stdout


# --------------------------------------------------------------------------- marketplace


def test_marketplace_search_and_install_by_name(
    ktc, remote: Path, kt_env: dict[str, str], tmp_path: Path
) -> None:
    home = Path(kt_env["KT_CONFIG_DIR"])
    write(
        tmp_path / "index.yaml",
        f"packages:\n  - name: gpack\n    description: A git pack\n    source: {remote.as_uri()}\n"
        "    version: '2.0'\n    tags: [demo]\n",
    )
    write(home / "marketplace.yaml", f"sources: [{tmp_path / 'index.yaml'}]\nbuiltin: false\n")
    found = ktc("marketplace", "search", "demo")
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines()[:2] == ["gpack 2.0", "    A git pack"]
    none = ktc("marketplace", "search", "zzz")
    assert none.returncode == 0 and none.stdout.startswith("no packages match 'zzz'")

    proc = ktc("install", "@gpack")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("installed gpack 2.0")
    assert "gpack 2.0  [installed]" in ktc("marketplace", "search").stdout
    missing = ktc("install", "@nobody")
    assert missing.returncode == 1
    assert missing.stderr.startswith("kt install: package 'nobody' is not in the marketplace")


# --------------------------------------------------------------------------- list, deps, speed


def test_list_shows_local_creature_folders(ktc, tmp_path: Path) -> None:
    write(tmp_path / "creatures" / "helper" / "config.yaml", "name: helper\n")
    write(tmp_path / "creatures" / "notes" / "README.md", "not a creature\n")
    write(tmp_path / "terrariums" / "team" / "terrarium.yaml", "creatures: []\nchannels: {}\n")
    proc = ktc("list")
    assert proc.returncode == 0
    assert "no packages installed" in proc.stdout
    assert "local creatures (1):\n  helper  creatures/helper" in proc.stdout
    assert "local terrariums (1):\n  team  terrariums/team" in proc.stdout
    local = json.loads(ktc("list", "--json").stdout)["local"]
    assert [(e["name"], e["kind"]) for e in local] == [
        ("helper", "creature"),
        ("team", "terrarium"),
    ]


def test_dependencies_are_listed_not_installed_without_deps(ktc, pack: Path) -> None:
    manifest = pack / "kohaku.yaml"
    manifest.write_text(manifest.read_text() + "python_dependencies: [kt-absent-dist>=1]\n")
    proc = ktc("install", str(pack))
    assert proc.returncode == 0, proc.stderr
    assert "needs Python packages: kt-absent-dist>=1" in proc.stdout
    assert "--deps" in proc.stdout and "-m pip install kt-absent-dist>=1" in proc.stdout


def test_bad_install_source_is_exit_1(ktc, tmp_path: Path) -> None:
    proc = ktc("install", str(tmp_path / "missing-folder"))
    assert proc.returncode == 1
    assert proc.stderr.startswith("kt install: cannot install") and proc.stderr.count("\n") == 1


def test_list_loads_no_creature_config(pack: Path, kt_env: dict[str, str]) -> None:
    code = (
        "import sys\n"
        "from kohakuterrarium.cli import main\n"
        "assert main(['list']) == 0\n"
        "heavy = [m for m in ('pydantic', 'kohakuterrarium.core.config', 'jinja2') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    subprocess.run(
        [sys.executable, "-m", "kohakuterrarium", "install", str(pack), "-e"],
        env=kt_env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", code], env=kt_env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "mini-biome" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY []"
