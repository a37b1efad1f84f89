"""The ``git`` command line, as package installs and updates use it.

Every call runs ``git`` in a subprocess with a timeout, never prompts for credentials
(``GIT_TERMINAL_PROMPT=0``), and turns a failure into a PackageError carrying git's own message.
Package installs are synchronous (``kt install``, ``packages.ensure`` at the top of a script),
so this uses :func:`subprocess.run` in a new session rather than the async ``run_process``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from kohakuterrarium.errors import PackageError

GIT_TIMEOUT = 300.0
"""Seconds one git command may take (a clone of a large pack over a slow link)."""


class GitCommandError(PackageError):
    """A git command that exited with a non-zero status."""

    def __init__(self, args: tuple[str, ...], returncode: int, detail: str) -> None:
        self.git_args = args
        self.returncode = returncode
        self.detail = detail
        super().__init__(f"`git {' '.join(args)}` failed (exit {returncode}): {detail}")


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"  # a private repo must fail, not hang waiting for a password
    env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
    return env


def git(*args: str, cwd: Path | None = None, timeout: float = GIT_TIMEOUT) -> str:
    """Run ``git args...`` and return its stdout (stripped); raise PackageError on failure."""
    exe = shutil.which("git")
    if exe is None:
        raise PackageError(
            "installing from git needs the `git` command, which is not on PATH; install git, "
            "or clone the repository yourself and `kt install <folder>`"
        )
    try:
        proc = subprocess.run(
            [exe, *args],
            cwd=cwd,
            env=_git_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise PackageError(
            f"`git {' '.join(args)}` took longer than {timeout:.0f}s and was stopped; "
            "check your network connection"
        ) from exc
    if proc.returncode != 0:
        detail = " ".join(line.strip() for line in proc.stderr.splitlines() if line.strip())
        raise GitCommandError(args, proc.returncode, detail or proc.stdout.strip())
    return proc.stdout.strip()


def clone_url(source: str) -> str:
    """The URL git is given for ``source`` (``git+https://`` loses its ``git+``)."""
    return source.removeprefix("git+")


def clone(source: str, dest: Path, ref: str | None = None) -> str | None:
    """Clone ``source`` into ``dest`` (shallow when it can) and check out ``ref``.

    Returns the kind of the ref: ``branch``, ``tag`` or ``commit`` (None when no ref).
    A branch or tag is cloned with ``--depth 1 --branch``; a commit needs the full history.
    """
    url = clone_url(source)
    if ref is None:
        git("clone", "--depth", "1", "--", url, str(dest))
        return None
    try:
        git("clone", "--depth", "1", "--branch", ref, "--", url, str(dest))
    except GitCommandError as exc:
        if "not found in upstream" not in exc.detail and "Remote branch" not in exc.detail:
            raise
        shutil.rmtree(dest, ignore_errors=True)
        git("clone", "--no-checkout", "--", url, str(dest))
        try:
            git("checkout", "--detach", ref, cwd=dest)
        except GitCommandError as inner:
            raise PackageError(
                f"'{source}' has no branch, tag or commit '{ref}'; check the ref after '@'"
            ) from inner
        return "commit"
    return "branch" if current_branch(dest) == ref else "tag"


def current_branch(repo: Path) -> str | None:
    """The checked-out branch of ``repo``, or None when HEAD is detached."""
    try:
        return git("symbolic-ref", "--quiet", "--short", "HEAD", cwd=repo) or None
    except GitCommandError:
        return None


def head_commit(repo: Path) -> str:
    """The full hash of HEAD in ``repo``."""
    return git("rev-parse", "HEAD", cwd=repo)


def is_work_tree(path: Path) -> bool:
    """Whether ``path`` is the top of a git work tree (an install that can be updated)."""
    return (path / ".git").exists()


def exclude(repo: Path, pattern: str) -> None:
    """Add ``pattern`` to ``repo``'s ``.git/info/exclude`` (so our own files stay untracked)."""
    info = repo / ".git" / "info"
    info.mkdir(parents=True, exist_ok=True)
    path = info / "exclude"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if pattern not in text.splitlines():
        if text and not text.endswith("\n"):
            text += "\n"
        path.write_text(text + pattern + "\n", encoding="utf-8")


def fetch_ref(repo: Path, ref: str) -> str:
    """Fetch ``ref`` (branch, tag or commit) from origin; return the commit it names."""
    try:
        git("fetch", "--depth", "1", "origin", ref, cwd=repo)
        return git("rev-parse", "FETCH_HEAD^{commit}", cwd=repo)
    except GitCommandError:
        pass
    # Some servers refuse a bare commit in a fetch: fetch the whole history, then look it up.
    shallow = git("rev-parse", "--is-shallow-repository", cwd=repo) == "true"
    git("fetch", "--tags", *(["--unshallow"] if shallow else []), "origin", cwd=repo)
    try:
        return git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
    except GitCommandError as exc:
        raise PackageError(f"the remote has no branch, tag or commit '{ref}'") from exc


def remote_ref_kind(repo: Path, ref: str) -> str:
    """``branch`` or ``tag`` when origin has a ref of that name, else ``commit``."""
    out = git("ls-remote", "origin", ref, cwd=repo)
    names = {line.split("\t", 1)[-1] for line in out.splitlines()}
    if f"refs/heads/{ref}" in names:
        return "branch"
    if f"refs/tags/{ref}" in names:
        return "tag"
    return "commit"


__all__ = [
    "GIT_TIMEOUT",
    "GitCommandError",
    "clone",
    "clone_url",
    "current_branch",
    "exclude",
    "fetch_ref",
    "git",
    "head_commit",
    "is_work_tree",
    "remote_ref_kind",
]
