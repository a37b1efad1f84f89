"""`glob`, `grep` and `tree` on real trees, and the .gitignore matcher behind them."""

from __future__ import annotations

import os

import pytest

from kohakuterrarium.builtins.tools._walk import IgnoreStack, parse_gitignore, walk
from kohakuterrarium.builtins.tools.glob import GlobTool
from kohakuterrarium.builtins.tools.grep import GrepTool
from kohakuterrarium.builtins.tools.tree import TreeTool
from kohakuterrarium.modules.tool.base import ToolContext


@pytest.fixture
def ctx(tmp_path):
    return ToolContext(working_dir=tmp_path)


def make_tree(root, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def ignored(rules_text: str, rel: str, is_dir: bool = False) -> bool:
    return IgnoreStack([("", parse_gitignore(rules_text))]).ignored(rel, is_dir)


# --------------------------------------------------------------------------- gitignore


def test_gitignore_plain_patterns_match_at_any_depth():
    assert ignored("*.log", "a.log") and ignored("*.log", "deep/er/a.log")
    assert not ignored("*.log", "a.logx")
    assert ignored("cache", "x/cache", is_dir=True)


def test_gitignore_negation_comments_and_blank_lines():
    rules = "# comment\n\n*.log\n!keep.log\n"
    assert ignored(rules, "x.log") and not ignored(rules, "keep.log")
    assert not ignored(rules, "# comment")


def test_gitignore_dir_only_and_anchored_patterns():
    assert ignored("build/", "build", is_dir=True) and not ignored("build/", "build", is_dir=False)
    assert ignored("/top.txt", "top.txt") and not ignored("/top.txt", "sub/top.txt")
    assert ignored("doc/*.md", "doc/a.md") and not ignored("doc/*.md", "x/doc/a.md")
    assert not ignored("doc/*.md", "doc/sub/a.md")


def test_gitignore_double_star_and_character_classes():
    assert ignored("a/**/b", "a/b") and ignored("a/**/b", "a/x/y/b")
    assert ignored("**/tmp", "tmp", True) and ignored("**/tmp", "q/tmp", True)
    assert ignored("logs/**", "logs/x/y.txt")
    assert ignored("file[0-9].txt", "file3.txt") and not ignored("file[!0-9].txt", "file3.txt")
    assert ignored("\\#hash", "#hash") and ignored("\\!bang", "!bang")


def test_walk_honours_nested_gitignores_skips_git_and_symlink_loops(tmp_path):
    make_tree(
        tmp_path,
        {
            ".gitignore": "*.tmp\n",
            "a/.gitignore": "secret.txt\n!keep.tmp\n",
            "a/secret.txt": "",
            "a/keep.tmp": "",
            "a/x.tmp": "",
            "a/ok.txt": "",
            "b/secret.txt": "",
            ".git/config": "",
        },
    )
    os.symlink(tmp_path, tmp_path / "a" / "loop")
    rels = {e.rel for e in walk(tmp_path)}
    assert "a/ok.txt" in rels and "b/secret.txt" in rels and "a/keep.tmp" in rels
    assert "a/secret.txt" not in rels and "a/x.tmp" not in rels
    assert not any(r.startswith(".git/") for r in rels)
    assert "a/loop" in rels and not any(r.startswith("a/loop/") for r in rels)
    everything = {e.rel for e in walk(tmp_path, gitignore=False)}
    assert "a/secret.txt" in everything and "a/x.tmp" in everything


def test_walk_below_a_repository_root_applies_the_root_gitignore(tmp_path):
    make_tree(tmp_path, {".gitignore": "gen/\n", "src/gen/out.py": "", "src/main.py": ""})
    (tmp_path / ".git").mkdir()
    rels = {e.rel for e in walk(tmp_path / "src")}
    assert rels == {"main.py"}


# --------------------------------------------------------------------------- glob


async def test_glob_sorts_newest_first_and_supports_double_star(tmp_path, ctx):
    make_tree(tmp_path, {"old.py": "", "pkg/mid.py": "", "pkg/deep/new.py": "", "notes.txt": ""})
    for age, rel in enumerate(["pkg/deep/new.py", "pkg/mid.py", "old.py"]):
        os.utime(tmp_path / rel, (1_000_000 - age * 100, 1_000_000 - age * 100))
    result = await GlobTool().execute({"pattern": "**/*.py"}, ctx)
    lines = result.output.splitlines()
    assert lines[:3] == ["pkg/deep/new.py", "pkg/mid.py", "old.py"]
    assert lines[3].startswith("3 files match")
    top = await GlobTool().execute({"pattern": "*.py"}, ctx)
    assert top.output.splitlines()[0] == "old.py"


async def test_glob_path_limit_and_gitignore(tmp_path, ctx):
    make_tree(
        tmp_path,
        {".gitignore": "dist/\n", "src/a.js": "", "src/b.js": "", "dist/c.js": "", "src/x.ts": ""},
    )
    scoped = await GlobTool().execute({"pattern": "*.js", "path": "src"}, ctx)
    assert sorted(scoped.output.splitlines()[:2]) == ["src/a.js", "src/b.js"]
    limited = await GlobTool().execute({"pattern": "**/*.js", "limit": 1}, ctx)
    assert len(limited.output.splitlines()) == 2 and "showing the newest 1" in limited.output
    ignored_out = await GlobTool().execute({"pattern": "**/*.js"}, ctx)
    assert "dist/c.js" not in ignored_out.output
    everything = await GlobTool().execute({"pattern": "**/*.js", "gitignore": False}, ctx)
    assert "dist/c.js" in everything.output
    prefixed = await GlobTool().execute({"pattern": "src/*.ts"}, ctx)
    assert prefixed.output.splitlines()[0] == "src/x.ts"


async def test_glob_no_match_and_errors(tmp_path, ctx):
    result = await GlobTool().execute({"pattern": "*.nothing"}, ctx)
    assert result.error is None and "No files match" in result.output
    assert "pattern" in (await GlobTool().execute({}, ctx)).error
    assert "not found" in (await GlobTool().execute({"pattern": "*", "path": "zz"}, ctx)).error


# --------------------------------------------------------------------------- grep


async def test_grep_reports_path_line_text_and_a_summary(tmp_path, ctx):
    make_tree(tmp_path, {"a.py": "import os\nx = 1\n", "sub/b.py": "import sys\n"})
    result = await GrepTool().execute({"pattern": r"^import \w+"}, ctx)
    assert result.output.splitlines() == [
        "a.py:1: import os",
        "sub/b.py:1: import sys",
        "2 matches in 2 files",
    ]


async def test_grep_glob_filter_ignore_case_and_single_file_path(tmp_path, ctx):
    make_tree(tmp_path, {"a.py": "TODO fix\n", "b.md": "todo later\n", "d/c.py": "todo\n"})
    py = await GrepTool().execute({"pattern": "todo", "glob": "*.py", "ignore_case": True}, ctx)
    assert "a.py:1: TODO fix" in py.output and "d/c.py:1: todo" in py.output
    assert "b.md" not in py.output
    exact = await GrepTool().execute({"pattern": "todo", "path": "b.md"}, ctx)
    assert exact.output.splitlines()[0] == "b.md:1: todo later"
    nested = await GrepTool().execute({"pattern": "todo", "glob": "d/*.py"}, ctx)
    assert nested.output.splitlines()[0] == "d/c.py:1: todo"


async def test_grep_context_lines_and_group_separators(tmp_path, ctx):
    (tmp_path / "f.txt").write_text("".join(f"l{i}\n" for i in range(1, 11)))
    result = await GrepTool().execute({"pattern": "^l(2|9)$", "context": 1}, ctx)
    assert result.output.splitlines() == [
        "f.txt-1- l1",
        "f.txt:2: l2",
        "f.txt-3- l3",
        "--",
        "f.txt-8- l8",
        "f.txt:9: l9",
        "f.txt-10- l10",
        "2 matches in 1 file",
    ]


async def test_grep_limit_skips_binary_and_respects_gitignore(tmp_path, ctx):
    make_tree(tmp_path, {".gitignore": "vendor/\n", "vendor/v.txt": "hit\n"})
    (tmp_path / "many.txt").write_text("hit\n" * 10)
    (tmp_path / "blob.bin").write_bytes(b"hit\x00hit")
    result = await GrepTool().execute({"pattern": "hit", "limit": 3}, ctx)
    lines = result.output.splitlines()
    assert lines[:3] == ["many.txt:1: hit", "many.txt:2: hit", "many.txt:3: hit"]
    assert "stopped at the limit of 3" in lines[3]
    assert "blob.bin" not in result.output and "vendor" not in result.output
    all_files = await GrepTool().execute({"pattern": "hit", "gitignore": False}, ctx)
    assert "vendor/v.txt:1: hit" in all_files.output


async def test_grep_errors_and_no_matches(tmp_path, ctx):
    (tmp_path / "a.txt").write_text("abc\n")
    bad = await GrepTool().execute({"pattern": "(unclosed"}, ctx)
    assert bad.error and "invalid regular expression" in bad.error
    assert "not found" in (await GrepTool().execute({"pattern": "x", "path": "nope"}, ctx)).error
    none = await GrepTool().execute({"pattern": "zzz"}, ctx)
    assert none.error is None and none.output.startswith("No matches for 'zzz' in 1 files")


# --------------------------------------------------------------------------- tree


async def test_tree_lists_folders_first_with_md_front_matter(tmp_path, ctx):
    make_tree(
        tmp_path,
        {
            "README.md": "---\ndescription: The project overview\n---\n# Hi\n",
            "skills/pdf.md": "---\nname: pdf-merge\n---\nbody\n",
            "skills/plain.md": "no front matter\n",
            "z.txt": "",
        },
    )
    result = await TreeTool().execute({}, ctx)
    lines = result.output.splitlines()
    assert lines[0] == f"{tmp_path.name}/"
    assert lines[1:] == [
        "├── skills/",
        "│   ├── pdf.md  — pdf-merge",
        "│   └── plain.md",
        "├── README.md  — The project overview",
        "└── z.txt",
        "1 folders, 4 files shown",
    ]


async def test_tree_depth_limit_hidden_and_gitignore(tmp_path, ctx):
    make_tree(
        tmp_path,
        {".gitignore": "out/\n", ".env": "", "a/b/c/d.txt": "", "a/b/e.txt": "", "out/x": ""},
    )
    shallow = await TreeTool().execute({"depth": 2}, ctx)
    assert "b/  (2 entries)" in shallow.output and "d.txt" not in shallow.output
    assert ".env" not in shallow.output and "out/" not in shallow.output
    hidden = await TreeTool().execute({"hidden": True, "gitignore": False}, ctx)
    assert ".env" in hidden.output and ".gitignore" in hidden.output and "out/" in hidden.output


async def test_tree_limit_cuts_the_listing_and_errors(tmp_path, ctx):
    make_tree(tmp_path, {f"f{i:02}.txt": "" for i in range(20)})
    result = await TreeTool().execute({"limit": 5}, ctx)
    lines = result.output.splitlines()
    assert len(lines) == 7 and "cut at 5 lines" in lines[-1]
    assert "not found" in (await TreeTool().execute({"path": "nope"}, ctx)).error
    assert "is a file" in (await TreeTool().execute({"path": "f00.txt"}, ctx)).error
    sub = await TreeTool().execute({"path": str(tmp_path)}, ctx)
    assert sub.output.startswith(f"{tmp_path.name}/")
