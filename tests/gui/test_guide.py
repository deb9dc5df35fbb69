"""The user guide follows the interface: its pictures are taken from the real window by
``docs.guide.screenshots``, every « Menu › Entrée » it quotes is a real menu entry, its HTML is
the rendering of its Markdown, and F1 opens it inside the app (issue 14)."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QMenu

from desktop.domain.due import SHORT_LABELS
from desktop.services.deadlines import SECTION_TITLES
from desktop.syncing.worker import SyncController
from desktop.views.admin.menu import connect_admin_server
from desktop.views.attachments_ui import install_attachments
from desktop.views.help.guide import GuideDialog, guide_index
from desktop.views.main_window import MainWindow
from desktop.views.qt_french import strip_mnemonic
from desktop.views.sync_ui import install_sync
from docs.guide import build
from docs.guide.screenshots import take
from sync.protocol.vocabulary import STATUS_LABELS
from tests.sync.test_worker_gui import MemoryVault

GUIDE = build.GUIDE
IMAGE = re.compile(r"!\[[^\]]*\]\((?P<src>[^)\s]+)\)")
#: « Menu › Entrée » (one or more ›), across a line break.
MENU_PATH = re.compile(r"«\s*(?P<path>[^«»]*›[^«»]*?)\s*»")

#: Entries the guide describes that come with a branch not merged yet: they must be in the
#: menus as soon as the module that brings them is there.
COMING_WITH: dict[str, str] = {
    "Demande › Produire l'accusé d'enregistrement": "desktop.views.mark_sent_dialog",
    "Demande › Produire l'accusé de réception": "desktop.views.mark_sent_dialog",
    "Demande › Marquer comme envoyé…": "desktop.views.mark_sent_dialog",
    "Demande › Convertir en PDF": "desktop.views.mark_sent_dialog",
    "Demande › Rédiger une réponse…": "desktop.views.reply",
    "Demande › Envoyer au parapheur…": "desktop.views.reply",
    "Demande › Envoyer la réponse…": "desktop.views.reply",
    "Demande › Demander l'avis d'un élu…": "desktop.views.reply",
}


def chapters() -> dict[str, str]:
    return {stem: (GUIDE / f"{stem}.md").read_text(encoding="utf-8") for stem in build.CHAPTERS}


def pictures() -> set[str]:
    return {m["src"] for text in chapters().values() for m in IMAGE.finditer(text)}


def quoted_menu_paths() -> set[str]:
    return {
        " ".join(m["path"].split())
        for text in chapters().values()
        for m in MENU_PATH.finditer(text)
    }


def menu_paths(window: MainWindow) -> set[str]:
    """Every « Menu › Entrée » of the window's bar, as the guide writes it."""
    paths: set[str] = set()

    def walk(menu: QMenu, prefix: str) -> None:
        for action in menu.actions():
            if action.isSeparator():
                continue
            path = f"{prefix} › {strip_mnemonic(action.text())}"
            paths.add(path)
            if action.menu() is not None:
                walk(action.menu(), path)

    for top in window.menuBar().actions():
        if top.menu() is not None:
            walk(top.menu(), strip_mnemonic(top.text()))
    return paths


@pytest.mark.slow
def test_the_script_takes_every_picture_the_guide_shows(qtbot, tmp_path: Path) -> None:
    written = take(tmp_path)
    names = {path.name for path in written}
    shown = pictures()
    assert shown, "the guide shows no picture"
    for src in shown:
        assert src.startswith("images/"), src
        name = src.removeprefix("images/")
        assert name in names, f"{src} is not taken by docs.guide.screenshots"
        assert (tmp_path / name).stat().st_size > 1000
        assert (GUIDE / src).stat().st_size > 1000, f"{src} is not committed"
    committed = {p.name for p in (GUIDE / "images").glob("*.png")}
    assert committed == names, "pictures committed but no longer taken, or the reverse"
    assert sum(p.stat().st_size for p in (GUIDE / "images").glob("*.png")) < 3_000_000


def test_every_menu_entry_the_guide_quotes_is_in_the_window(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, demo_db_path: Path
) -> None:
    controller = SyncController(demo_db_path, demo_db, vault=MemoryVault())
    try:
        install_sync(window, controller)  # as app.py does
        install_attachments(window, controller)
        connect_admin_server(window, controller)
        real = menu_paths(window)
    finally:
        controller.stop()
    quoted = quoted_menu_paths()
    assert "Aide › Guide d'utilisation" in quoted and len(quoted) > 20
    missing = {
        path for path in quoted - real
        if path not in COMING_WITH or importlib.util.find_spec(COMING_WITH[path]) is not None
    }
    assert not missing, f"the guide quotes menu entries the window does not have: {missing}"


def test_the_colours_chapter_names_every_status_and_deadline_of_the_code() -> None:
    text = (GUIDE / "07-couleurs-et-statuts.md").read_text(encoding="utf-8")
    for label in [*STATUS_LABELS.values(), *SECTION_TITLES.values()]:
        assert f"**{label}**" in text, label
    for label in set(SHORT_LABELS.values()) - {"suspendu"}:
        assert f"**{label}**" in text, label
    assert "**Suspendue**" in text


def test_the_html_is_the_rendering_of_the_markdown() -> None:
    for stem in build.CHAPTERS:
        page = GUIDE / f"{stem}.html"
        assert page.is_file(), f"{page.name} missing: run python -m docs.guide.build"
        assert page.read_text(encoding="utf-8") == build.render(stem), (
            f"{page.name} is stale: run python -m docs.guide.build"
        )


def test_f1_opens_the_guide_inside_the_app(qtbot, window: MainWindow) -> None:
    assert guide_index() == GUIDE / "index.html"
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.findChild(GuideDialog)
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible)
    browser = dialog.browser
    assert "Guide d'utilisation de Bannette" in browser.toPlainText()
    qtbot.keyClick(window, Qt.Key.Key_F1)  # again: the same window comes to the front
    assert window.findChildren(GuideDialog) == [dialog]
    # Every chapter opens in the viewer with its pictures, as its links lead there.
    index = browser.source()
    for stem in build.CHAPTERS:
        html = (GUIDE / f"{stem}.html").read_text(encoding="utf-8")
        for href in re.findall(r'<a href="([^"#:]+)"', html):
            assert (GUIDE / href).is_file(), f"{stem}: broken link {href}"
        browser.setSource(index.resolved(QUrl(f"{stem}.html")))
        assert browser.source().toLocalFile() == str(GUIDE / f"{stem}.html")
        title = re.search(r"<h1>(.*?)</h1>", html)
        assert title and title[1].replace("&#x27;", "'") in browser.toPlainText()
        for src in re.findall(r'<img[^>]* src="([^"]+)"', html):
            image = browser.loadResource(QTextDocument.ResourceType.ImageResource, QUrl(src))
            assert image is not None and not image.isEmpty(), src
    assert dialog.back.isEnabled()
    dialog.close()
