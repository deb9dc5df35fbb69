"""The application's version: the one of ``pyproject.toml``, wherever the app runs from.

Installed (pip, editable or not) it comes from the package metadata; in the PyInstaller
bundle, which has no metadata, from the ``VERSION`` file the spec writes beside the code
(``installer/bannette.spec``); in a bare source checkout, from ``pyproject.toml`` itself.
"""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path

from sync.protocol.versions import version_key  # noqa: F401 - one comparison everywhere

DISTRIBUTION = "bannette"
#: Name of the file, at the root of the frozen bundle, that holds the version.
VERSION_FILE = "VERSION"
UNKNOWN = "0+inconnue"


@lru_cache(maxsize=1)
def app_version() -> str:
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        try:
            return (Path(bundle) / VERSION_FILE).read_text("utf-8").strip() or UNKNOWN
        except OSError:
            return UNKNOWN
    from_source = pyproject_version(Path(__file__).resolve().parents[1] / "pyproject.toml")
    if from_source:
        return from_source  # a checkout: its own pyproject, even if another copy is installed
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return UNKNOWN


def pyproject_version(path: Path) -> str | None:
    """``[project] version`` of a pyproject.toml, None when the file is not there."""
    try:
        import tomllib

        with path.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, ValueError):
        return None
