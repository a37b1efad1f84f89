"""Installed packages (packs such as kt-biome): install, locate, resolve ``@pkg/path``, marketplace.

A package is a folder holding ``kohaku.yaml`` (or ``kohaku.yml``). Installed packages live in
:data:`PACKAGES_DIR`: copied or git-cloned (``<name>/``) or linked for editable installs
(``<name>.link``, a text file holding the absolute source path).

Every function reads :data:`PACKAGES_DIR` when it is called, never at import time, so tests may
``monkeypatch.setattr(kohakuterrarium.packages, "PACKAGES_DIR", tmp_path)``. When the attribute
is left alone, ``$KT_CONFIG_DIR`` is re-read on each call.

>>> install_package("./my-pack", editable=True)                      # doctest: +SKIP
'my-pack'
>>> install_package("https://example.org/pack.git@v1.2.0")           # doctest: +SKIP
'pack'
>>> resolve_package_path("@my-pack/creatures/helper")                # doctest: +SKIP
PosixPath('/home/me/src/my-pack/creatures/helper')
>>> ensure("@kt-biome")                                              # doctest: +SKIP
PosixPath('/home/me/.kohakuterrarium/packages/kt-biome')

The submodules: :mod:`.locations` (folders, links, ``@pkg`` references), :mod:`.manifest`
(``kohaku.yaml``, Python dependencies), :mod:`.source` (git URLs, ``url@ref``, install records),
:mod:`.git` (the git CLI), :mod:`.install` (install / update / uninstall), :mod:`.walk`
(listings, prompt fragments, ``sys.path``), :mod:`.marketplace` (indexes, search, ``ensure``).
Importing this package is cheap: YAML, JSON parsing and urllib load only when used.
"""

from __future__ import annotations

from kohakuterrarium.packages import locations as _locations
from kohakuterrarium.packages.install import (
    UpdateResult,
    install_dependencies,
    install_package,
    uninstall_package,
    update_all,
    update_package,
)
from kohakuterrarium.packages.locations import (
    LINK_SUFFIX,
    MANIFEST_NAMES,
    config_dir,
    find_package_root_for_path,
    get_package_root,
    installed_names,
    is_editable,
    is_package_ref,
    packages_dir,
    read_link,
    remove_link,
    resolve_package_path,
    split_package_ref,
    write_link,
)
from kohakuterrarium.packages.manifest import (
    DependencyPlan,
    dependency_plan,
    load_manifest,
    manifest_path,
    slot_entries,
)
from kohakuterrarium.packages.marketplace import (
    Marketplace,
    MarketplaceEntry,
    ensure,
    find_entry,
    install_from_marketplace,
    load_marketplace,
    search,
)
from kohakuterrarium.packages.source import (
    InstallRecord,
    is_git_source,
    parse_source,
    read_install_record,
)
from kohakuterrarium.packages.walk import (
    ensure_package_importable,
    ensure_package_roots_importable,
    list_packages,
    package_contents,
    resolve_package_prompt,
)

PACKAGES_DIR = _locations.PACKAGES_DIR
"""Where installed packages live: ``$KT_CONFIG_DIR/packages`` or ``~/.kohakuterrarium/packages``.

Monkeypatch this attribute to redirect every function of the package (read at call time)."""

__all__ = [
    "LINK_SUFFIX",
    "MANIFEST_NAMES",
    "PACKAGES_DIR",
    "DependencyPlan",
    "InstallRecord",
    "Marketplace",
    "MarketplaceEntry",
    "UpdateResult",
    "config_dir",
    "dependency_plan",
    "ensure",
    "ensure_package_importable",
    "ensure_package_roots_importable",
    "find_entry",
    "find_package_root_for_path",
    "get_package_root",
    "install_dependencies",
    "install_from_marketplace",
    "install_package",
    "installed_names",
    "is_editable",
    "is_git_source",
    "is_package_ref",
    "list_packages",
    "load_manifest",
    "load_marketplace",
    "manifest_path",
    "package_contents",
    "packages_dir",
    "parse_source",
    "read_install_record",
    "read_link",
    "remove_link",
    "resolve_package_path",
    "resolve_package_prompt",
    "search",
    "slot_entries",
    "split_package_ref",
    "uninstall_package",
    "update_all",
    "update_package",
    "write_link",
]
