"""A local bare git remote to install packages from (no network), for the package tests."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path | None = None) -> str:
    """Run git for the test fixture itself (not through the code under test)."""
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True, timeout=60
    )
    return proc.stdout.strip()


def manifest(version: str, name: str = "gpack", extra: str = "") -> str:
    return f'name: {name}\nversion: "{version}"\ndescription: pack v{version}\n{extra}'


class GitRemote:
    """A bare repository in tmp_path plus a work clone that commits, tags and pushes to it."""

    def __init__(self, root: Path) -> None:
        self.bare = root / "remote" / "gpack.git"
        self.work = root / "remote-work"
        git("init", "--bare", "--initial-branch", "main", str(self.bare))
        git("clone", str(self.bare), str(self.work))
        git("checkout", "-B", "main", cwd=self.work)

    @property
    def url(self) -> str:
        """A file:// URL of the bare repository."""
        return self.bare.as_uri()

    def commit(self, files: dict[str, str], message: str, *, branch: str = "main") -> str:
        """Write ``files`` on ``branch``, commit, push; return the commit hash."""
        if branch != self.current():
            try:
                git("checkout", "-q", branch, cwd=self.work)
            except subprocess.CalledProcessError:
                git("checkout", "-q", "-b", branch, cwd=self.work)
        for rel, text in files.items():
            path = self.work / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "-m", message, cwd=self.work)
        git("push", "-q", "origin", branch, cwd=self.work)
        return git("rev-parse", "HEAD", cwd=self.work)

    def current(self) -> str:
        return git("symbolic-ref", "--short", "HEAD", cwd=self.work)

    def tag(self, name: str) -> None:
        git("tag", "-a", name, "-m", name, cwd=self.work)
        git("push", "-q", "origin", name, cwd=self.work)

    def release(self, version: str, *, extra: str = "") -> str:
        """Commit a manifest at ``version`` with a creature, tag it ``v<version>``; return the hash."""
        sha = self.commit(
            {
                "kohaku.yaml": manifest(version, extra=extra),
                "creatures/general/config.yaml": f"name: general\ndescription: v{version}\n",
            },
            f"release {version}",
        )
        self.tag(f"v{version}")
        return sha
