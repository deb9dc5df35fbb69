"""The HTML rendering of the user guide, for the app's « Aide › Guide d'utilisation ».

``python -m docs.guide.build`` turns each chapter (``*.md`` of this folder) into an ``.html``
beside it, with the `markdown` package: links between chapters point at the ``.html`` files,
pictures keep their place in ``images/`` and get a width the help window can show whole.
The HTML files are committed, so the app needs neither the Markdown sources nor `markdown`;
``tests/gui/test_guide.py`` checks they are up to date.
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from html import escape
from pathlib import Path

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

GUIDE = Path(__file__).resolve().parent
#: The chapters, in reading order; ``index`` is the table of contents.
CHAPTERS = (
    "index",
    "01-installation",
    "02-premiere-connexion",
    "03-tournee-quotidienne",
    "04-accuses-et-courriers",
    "05-reponse-et-parapheur",
    "06-hors-ligne",
    "07-couleurs-et-statuts",
    "08-en-cas-de-probleme",
)
#: The widest picture shown at full size; wider ones are scaled down to it.
MAX_IMAGE_WIDTH = 1040
#: Kept simple: the help window (QTextBrowser) understands only a subset of CSS.
STYLE = """
body { font-family: sans-serif; line-height: 1.4; max-width: 60em; margin: 0 auto; }
h1 { color: #0b3d6e; }
h2 { color: #0b3d6e; margin-top: 1.2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #bbb; padding: 3px 8px; vertical-align: top; }
th { background: #e8eef5; }
code { background: #f2f2f2; }
.nav { color: #555; }
"""
_MD_LINK = re.compile(r"^(?P<stem>[\w-]+)\.md(?P<anchor>#.*)?$")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height read from the PNG header (no imaging library needed)."""
    with path.open("rb") as png:
        header = png.read(24)
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


class _GuideTree(Treeprocessor):
    """Chapter links to .html; pictures sized so the help window shows them whole."""

    def __init__(self, md: markdown.Markdown, folder: Path) -> None:
        super().__init__(md)
        self.folder = folder

    def run(self, root: ET.Element) -> None:
        for link in root.iter("a"):
            match = _MD_LINK.match(link.get("href", ""))
            if match:
                link.set("href", f"{match['stem']}.html{match['anchor'] or ''}")
        for image in root.iter("img"):
            source = self.folder / image.get("src", "")
            if not source.is_file():
                raise FileNotFoundError(f"picture missing from the guide: {source}")
            width, height = png_size(source)
            if width > MAX_IMAGE_WIDTH:
                width, height = MAX_IMAGE_WIDTH, round(height * MAX_IMAGE_WIDTH / width)
            image.set("width", str(width))
            image.set("height", str(height))
            image.set("title", image.get("alt", ""))


class _GuideExtension(Extension):
    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - markdown's API
        md.treeprocessors.register(_GuideTree(md, self.folder), "bannette-guide", 5)


def render(stem: str, folder: Path = GUIDE) -> str:
    """One chapter as a whole HTML page, with links to the previous and next chapters."""
    source = (folder / f"{stem}.md").read_text(encoding="utf-8")
    body = markdown.markdown(
        source, extensions=["tables", _GuideExtension(folder)], output_format="html"
    )
    title = source.splitlines()[0].lstrip("# ").strip()
    index = CHAPTERS.index(stem)
    nav = []
    if index > 0:
        nav.append(f'<a href="{CHAPTERS[index - 1]}.html">← Précédent</a>')
    if stem != "index":
        nav.append('<a href="index.html">Sommaire</a>')
    if index + 1 < len(CHAPTERS):
        nav.append(f'<a href="{CHAPTERS[index + 1]}.html">Suivant →</a>')
    footer = f'<hr><p class="nav">{" · ".join(nav)}</p>' if nav else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)} — Bannette</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n{footer}\n</body>\n</html>\n"
    )


def build(folder: Path = GUIDE, output: Path | None = None) -> list[Path]:
    """Write every chapter's HTML into ``output`` (the chapters' folder by default)."""
    output = folder if output is None else output
    written = []
    for stem in CHAPTERS:
        target = output / f"{stem}.html"
        target.write_text(render(stem, folder), encoding="utf-8")
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m docs.guide.build",
        description="Produit le guide d'utilisation en HTML à partir des chapitres Markdown.",
    )
    parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    for path in build():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
