"""Installing, updating and removing packages.

Three kinds of install, all in the packages folder:

- a **copy** of a local folder: ``<name>/`` (``.git`` and caches left out);
- an **editable** link to a local folder: ``<name>.link`` holding its absolute path;
- a **git clone**: ``<name>/`` with its ``.git``, from an URL, optionally pinned with ``url@ref``.

Copies and clones carry ``.kt-source.json`` (:mod:`packages.source`). Python dependencies that
a manifest declares are installed with pip only when asked (``install_deps=True``, ``--deps``).

>>> install_package("https://github.com/Kohaku-Lab/kt-biome.git@v1.2.0")  # doctest: +SKIP
'kt-biome'
>>> update_package("kt-biome").status                                    # doctest: +SKIP
'pinned'
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kohakuterrarium.errors import PackageError
from kohakuterrarium.packages import git as gitcli
from kohakuterrarium.packages.locations import (
    check_name,
    get_package_root,
    is_editable,
    link_file,
    packages_dir,
    remove_link,
    write_link,
)
from kohakuterrarium.packages.manifest import (
    DependencyPlan,
    dependency_plan,
    has_content,
    load_manifest,
    manifest_path,
)
from kohakuterrarium.packages.source import (
    RECORD_FILE,
    InstallRecord,
    is_git_source,
    parse_source,
    read_install_record,
    write_install_record,
)
from kohakuterrarium.utils.logging import get_logger

logger = get_logger(__name__)

PIP_TIMEOUT = 900.0
"""Seconds ``pip install`` of a package's dependencies may take."""

_COPY_IGNORE = (".git", "__pycache__", "*.pyc", RECORD_FILE)


def _remove_install(name: str) -> None:
    remove_link(name)
    folder = packages_dir() / name
    if folder.is_symlink():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)


def _staging(name_hint: str) -> Path:
    """A fresh folder inside the packages folder, so the final move is a same-disk rename."""
    base = packages_dir()
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".stage-{name_hint}-", dir=base))


def _package_name(manifest: dict[str, Any], fallback: str, name_override: str | None) -> str:
    name = str(name_override or manifest.get("name") or fallback).lstrip("@")
    check_name(name)
    return name


def _move_into_place(staged: Path, name: str) -> Path:
    target = packages_dir() / name
    _remove_install(name)
    staged.rename(target)
    return target


# --------------------------------------------------------------------------- install


def install_package(
    source: str | os.PathLike[str],
    editable: bool = False,
    name_override: str | None = None,
    ref: str | None = None,
    install_deps: bool = False,
) -> str:
    """Install the package at ``source`` and return its name.

    ``source`` is a local package folder (copied to ``PACKAGES_DIR/<name>/``, or linked with
    ``editable=True``) or a git URL (``https://…``, ``git@…``, ``file://…``, anything ending
    in ``.git``), cloned to ``PACKAGES_DIR/<name>/``; ``url@ref`` or ``ref=`` pins a tag,
    branch or commit. The name comes from the manifest (``name_override`` wins). Reinstalling
    replaces the previous install of either kind; a failed install leaves it in place. The
    manifest's ``python_dependencies`` / ``requirements.txt`` are pip-installed only with
    ``install_deps=True``; otherwise they are logged as a warning.
    """
    text = os.fspath(source)
    parsed, parsed_ref = parse_source(text)
    if ref is not None and parsed_ref is not None and ref != parsed_ref:
        raise PackageError(f"'{text}' pins '{parsed_ref}' but ref='{ref}' was also given")
    ref = ref or parsed_ref
    if is_git_source(parsed):
        if editable:
            raise PackageError(
                f"cannot install '{text}' as editable: -e links a local folder; clone the "
                "repository yourself and run `kt install <folder> -e`"
            )
        name = _install_git(parsed, ref, name_override)
    else:
        if ref is not None:
            raise PackageError(
                f"cannot pin '{ref}' on '{parsed}': refs (@tag) apply to git sources only"
            )
        name = _install_local(parsed, editable, name_override)
    root = get_package_root(name)
    assert root is not None  # just installed
    _handle_dependencies(name, root, install_deps)
    return name


def _install_local(text: str, editable: bool, name_override: str | None) -> str:
    src = Path(text).expanduser()
    if not src.is_dir():
        raise PackageError(
            f"cannot install '{text}': no such folder; pass a package folder holding "
            "kohaku.yaml, a git URL, or @name from the marketplace"
        )
    src = src.resolve()
    manifest = load_manifest(src)
    name = _package_name(manifest, src.name, name_override)
    target = packages_dir() / name
    if target.resolve() == src:
        raise PackageError(f"cannot install '{text}' over itself ({target})")
    if editable:
        _remove_install(name)
        write_link(name, src)
    else:
        staging = _staging(name)
        try:
            staged = staging / name
            shutil.copytree(
                src, staged, ignore=shutil.ignore_patterns(*_COPY_IGNORE), symlinks=True
            )
            write_install_record(staged, InstallRecord(kind="local", source=str(src)))
            _move_into_place(staged, name)
        except OSError as exc:
            raise PackageError(f"cannot copy '{src}' to {target}: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    _warn_if_empty(name, src, manifest)
    logger.info("package installed", package=name, editable=editable, source=str(src))
    return name


def _install_git(url: str, ref: str | None, name_override: str | None) -> str:
    hint = Path(url.rstrip("/")).name.removesuffix(".git") or "repo"
    hint = hint.split(":")[-1] or "repo"
    staging = _staging(hint)
    try:
        clone = staging / "clone"
        try:
            ref_kind = gitcli.clone(url, clone, ref)
        except PackageError as exc:
            raise PackageError(f"cannot install '{url}': {exc}") from exc
        manifest = load_manifest(clone)
        if manifest_path(clone) is None:  # no manifest: name it after the repository
            manifest["name"] = hint
        name = _package_name(manifest, hint, name_override)
        record = InstallRecord(
            kind="git",
            source=url,
            ref=ref,
            ref_kind=ref_kind,
            commit=gitcli.head_commit(clone),
        )
        write_install_record(clone, record)
        gitcli.exclude(clone, RECORD_FILE)
        try:
            _move_into_place(clone, name)
        except OSError as exc:
            raise PackageError(f"cannot move the clone of '{url}' into place: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    root = packages_dir() / name
    _warn_if_empty(name, root, manifest)
    logger.info("package installed", package=name, source=url, ref=ref, commit=record.commit)
    return name


def _warn_if_empty(name: str, src: Path, manifest: dict[str, Any]) -> None:
    if not has_content(src, manifest):
        logger.warning(
            "installed package provides no creatures, terrariums or extensions",
            package=name,
            source=str(src),
        )


# --------------------------------------------------------------------------- dependencies


def _handle_dependencies(name: str, root: Path, install_deps: bool) -> None:
    plan = dependency_plan(root)
    if plan.empty:
        return
    if install_deps:
        install_dependencies(plan, package=name)
    else:
        logger.warning(
            "package declares Python dependencies that were not installed",
            package=name,
            dependencies=plan.describe(),
            hint="install them with --deps / install_deps=True",
        )


def install_dependencies(plan: DependencyPlan, *, package: str = "") -> list[str]:
    """pip-install ``plan`` into the running interpreter; return the argv that ran.

    Raises PackageError (with pip's last lines) when pip fails or runs past ``PIP_TIMEOUT``.
    """
    argv = plan.pip_command()
    if plan.empty:
        return argv
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except subprocess.TimeoutExpired as exc:
        raise PackageError(
            f"package '{package}': pip did not finish within {PIP_TIMEOUT:.0f}s"
        ) from exc
    if proc.returncode != 0:
        tail = " ".join(proc.stderr.strip().splitlines()[-3:])
        raise PackageError(
            f"package '{package}': `{' '.join(argv[1:])}` failed (exit {proc.returncode}): "
            f"{tail}; the package itself is installed, fix the dependency and run "
            f"`kt install` again with --deps"
        )
    logger.info("package dependencies installed", package=package, command=" ".join(argv))
    return argv


# --------------------------------------------------------------------------- uninstall


def uninstall_package(name: str) -> bool:
    """Remove installed package ``name`` (copy, clone or link); False if it was not installed."""
    name = name.lstrip("@")
    check_name(name)
    if not (packages_dir() / name).exists() and not link_file(name).exists():
        return False
    _remove_install(name)
    logger.info("package uninstalled", package=name)
    return True


# --------------------------------------------------------------------------- update


@dataclass
class UpdateResult:
    """What ``update_package`` did to one package."""

    name: str
    """The package."""
    status: str
    """``updated``, ``up-to-date``, ``pinned`` (left alone), ``editable`` or ``not-git`` (skipped)."""
    message: str
    """One human-readable line."""
    old_commit: str | None = None
    """The commit before the update (git installs)."""
    new_commit: str | None = None
    """The commit after it."""


def _short(commit: str | None) -> str:
    return (commit or "?")[:10]


def update_package(name: str, ref: str | None = None, *, strict: bool = True) -> UpdateResult:
    """Update git-installed package ``name``.

    Unpinned installs (and installs pinned to a branch) fetch and fast-forward
    (``git pull --ff-only``); a pinned tag or commit stays unless ``ref`` moves the pin. Editable
    installs are never touched (update their folder yourself). A copied local folder cannot
    update: with ``strict`` that raises PackageError, otherwise it is reported as ``not-git``.
    """
    name = name.lstrip("@")
    check_name(name)
    root = get_package_root(name)
    if root is None:
        raise PackageError(f"package '{name}' is not installed; see `kt list`")
    if is_editable(name):
        return UpdateResult(
            name, "editable", f"{name}: editable install of {root}; update that folder yourself"
        )
    record = read_install_record(root)
    if record is None or record.kind != "git" or not gitcli.is_work_tree(root):
        message = (
            f"{name}: installed from a local folder copy, not from git, so it cannot update; "
            f"reinstall it with `kt install <folder>` (or `-e` to link the folder)"
        )
        if strict:
            raise PackageError(message)
        return UpdateResult(name, "not-git", message)
    old = gitcli.head_commit(root)
    if ref is not None:
        new, kind = _move_pin(root, ref)
        record.ref, record.ref_kind = ref, kind
    elif record.pinned:
        return UpdateResult(
            name,
            "pinned",
            f"{name}: pinned at {record.ref} ({_short(old)}); pass --ref to move the pin",
            old,
            old,
        )
    else:
        new = _fast_forward(root, name, record.ref)
    record.commit = new
    write_install_record(root, record)
    if new == old:
        return UpdateResult(name, "up-to-date", f"{name}: up to date ({_short(old)})", old, new)
    logger.info("package updated", package=name, old=old, new=new)
    return UpdateResult(
        name, "updated", f"{name}: updated {_short(old)} -> {_short(new)}", old, new
    )


def _fast_forward(root: Path, name: str, branch: str | None) -> str:
    branch = branch or gitcli.current_branch(root)
    if branch is None:
        raise PackageError(
            f"package '{name}' is not on a branch ({root}); reinstall it or pass --ref"
        )
    # Not --depth: the new commits must connect to the ones we have for a fast-forward.
    gitcli.git("fetch", "origin", branch, cwd=root)
    try:
        gitcli.git("merge", "--ff-only", "FETCH_HEAD", cwd=root)
    except gitcli.GitCommandError as exc:
        raise PackageError(
            f"package '{name}' cannot fast-forward to origin/{branch} (the history was "
            f"rewritten, or the install was edited): {exc.detail}; reinstall it with "
            f"`kt install <url>`"
        ) from exc
    return gitcli.head_commit(root)


def _move_pin(root: Path, ref: str) -> tuple[str, str]:
    commit = gitcli.fetch_ref(root, ref)
    kind = gitcli.remote_ref_kind(root, ref)
    if kind == "branch":
        gitcli.git("checkout", "-B", ref, commit, cwd=root)
    else:
        gitcli.git("checkout", "--detach", commit, cwd=root)
    return gitcli.head_commit(root), kind


def update_all() -> list[UpdateResult]:
    """Update every installed package; editable and non-git ones are reported, not raised."""
    from kohakuterrarium.packages.locations import installed_names

    results = []
    for name in installed_names():
        try:
            results.append(update_package(name, strict=False))
        except PackageError as exc:
            results.append(UpdateResult(name, "error", f"{name}: {exc}"))
    return results


__all__ = [
    "PIP_TIMEOUT",
    "UpdateResult",
    "install_dependencies",
    "install_package",
    "uninstall_package",
    "update_all",
    "update_package",
]
