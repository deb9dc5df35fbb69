"""The application's version: the one of ``pyproject.toml``, wherever the app runs from.

Installed (pip, editable or not) it comes from the package metadata; in the PyInstaller
bundle, which has no metadata, from the ``VERSION`` file the spec writes beside the code
(``installer/bannette.spec``); in a bare source checkout, from ``pyproject.toml`` itself.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

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


def version_key(text: str) -> tuple[int, ...]:
    """« 0.10.2 » → (0, 10, 2), for comparing versions; a suffix (« rc1 », « +local ») is
    ignored, so a pre-release compares like its release."""
    parts = []
    for piece in text.split("+")[0].split("."):
        match = re.match(r"\d+", piece)
        if not match:
            break
        parts.append(int(match.group()))
    return tuple(parts)
