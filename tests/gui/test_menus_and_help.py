"""The menu bar: « Fichier » worth opening, « Aide » last with a lexicon and the shortcuts
(issue 9, item 18)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMenu

from desktop.documents.fields import FIELD_HELP
from desktop.domain.due import SHORT_LABELS, DueKind
from desktop.syncing.worker import SyncController
from desktop.views.help import add_help_entry, help_menu
from desktop.views.help.lexicon import LexiconDialog
from desktop.views.help.shortcuts import ShortcutsDialog
from desktop.views.help.template_fields import TemplateFieldsDialog
from desktop.views.main_window import MainWindow
from desktop.views.sync_ui import install_sync
from sync.protocol.vocabulary import STATUS_LABELS
from tests.gui.conftest import ARTIFACTS
from tests.sync.test_worker_gui import MemoryVault


def menu_titles(window: MainWindow) -> list[str]:
    """The menus the user sees (« Administration » is hidden from non-admins)."""
    return [a.text().replace("&", "") for a in window.menuBar().actions() if a.isVisible()]


def entries(menu: QMenu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_help_is_the_last_menu_even_with_the_sync_installed(
    qtbot, window: MainWindow, demo_db: sqlite3.Connection, demo_db_path: Path
) -> None:
    controller = SyncController(demo_db_path, demo_db, vault=MemoryVault())
    try:
        install_sync(window, controller)
        assert menu_titles(window) == [
            # « Administration » shows for an administrator only (the demo's agent is not).
            "Fichier", "Affichage", "Demande", "Usagers", "RGPD", "Synchronisation", "Aide",
        ]
        ARTIFACTS.mkdir(exist_ok=True)
        window.menuBar().grab().save(str(ARTIFACTS / "barre-de-menus.png"))
        window.menuBar().addMenu("Parapheur")  # any screen that comes later
        assert menu_titles(window)[-2:] == ["Parapheur", "Aide"]
    finally:
        controller.stop()


def test_file_menu_holds_more_than_quit(qtbot, window: MainWindow) -> None:
    assert entries(window.file_menu) == [
        "Nouvelle demande…",
        "Ouvrir le dossier des courriers",
        "Ouvrir le dossier des données",
        "Exporter la vue…",
        "Quitter",
    ]
    assert window.file_menu.actions()[0] is window.new_request_action


def test_the_folders_open_in_the_file_manager(
    qtbot, make_window, demo_db_path: Path, documents_folder: Path
) -> None:
    opened: list[QUrl] = []
    window = make_window(open_url=lambda url: opened.append(url) or True)
    for name in ("action-letters-folder", "action-data-folder"):
        next(a for a in window.file_menu.actions() if a.objectName() == name).trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [documents_folder, demo_db_path.parent]
    assert documents_folder.is_dir()


def test_help_holds_the_lexicon_the_shortcuts_and_about(qtbot, window: MainWindow) -> None:
    menu = help_menu(window)
    assert menu is not None
    assert entries(menu) == ["Guide d'utilisation", "Lexique", "Raccourcis clavier",
                             "Champs des modèles", "À propos de Bannette"]


def test_help_entries_added_later_go_above_about(qtbot, window: MainWindow) -> None:
    add_help_entry(window, "&Tutoriel", lambda: None, name="action-tutorial")
    assert entries(help_menu(window))[-2:] == ["Tutoriel", "À propos de Bannette"]  # type: ignore[arg-type]


def test_the_lexicon_explains_the_words_statuses_and_colours(qtbot, window: MainWindow) -> None:
    action = next(a for a in help_menu(window).actions() if a.objectName() == "action-lexicon")  # type: ignore[union-attr]
    action.trigger()
    dialog = window.findChild(LexiconDialog)
    assert dialog is not None and dialog.isVisible()
    text = dialog.text.toPlainText()
    for term in (
        "Accusé de réception (AR)", "Accusé d'enregistrement (AE)", "Silence vaut accord (SVA)",
        "Silence vaut rejet (SVR)", "Objectif interne", "Pièces manquantes",
        "Décision implicite", "Parapheur", "L114-5", "L231-4", "10 jours ouvrés",
        "Couleurs de la bannette", "en retard", "dans les 3 jours ouvrés",
    ):
        assert term in text, term
    for label in STATUS_LABELS.values():
        assert label in text, label
    for kind, label in SHORT_LABELS.items():  # as the « Échéance » column shows them
        assert ("Suspendue" if kind == DueKind.SUSPENDED else f"({label})") in text, label
    dialog.resize(640, 900)
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "aide-lexique.png"))
    bar = dialog.text.verticalScrollBar()
    bar.setValue(bar.maximum())
    assert dialog.grab().save(str(ARTIFACTS / "aide-lexique-fin.png"))
    dialog.close()


def test_the_shortcuts_list_reads_the_real_actions(qtbot, window: MainWindow) -> None:
    action = next(
        a for a in help_menu(window).actions() if a.objectName() == "action-shortcuts"  # type: ignore[union-attr]
    )
    action.trigger()
    dialog = window.findChild(ShortcutsDialog)
    assert dialog is not None
    text = dialog.text.toPlainText()
    for line in ("Ctrl+N", "Nouvelle demande", "Ctrl+L", "Aller à la liste", "Ctrl+Q",
                 "Quitter", "Ctrl+Shift+A", "Produire l'accusé de réception", "Menu Demande"):
        assert line in text, line
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "aide-raccourcis.png"))
    dialog.close()


def test_the_template_fields_are_listed_and_searched(qtbot, window: MainWindow) -> None:
    """« Aide › Champs des modèles »: every merge field with its meaning and an example; the
    search forgives case and accents."""
    action = next(
        a for a in help_menu(window).actions()  # type: ignore[union-attr]
        if a.objectName() == "action-template-fields"
    )
    action.trigger()
    dialog = window.findChild(TemplateFieldsDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.visible_fields() == [field.typed for field in FIELD_HELP]
    row = [field.typed for field in FIELD_HELP].index("{{ numero }}")
    assert dialog.table.item(row, 1).text() == "numéro de la demande"
    assert dialog.table.item(row, 2).text() == "2026-000123"
    assert dialog.count.text() == f"{len(FIELD_HELP)} champs."
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "aide-champs-modeles.png"))
    dialog.search.setText("NUMERO DE LA")  # no accent, upper case: « numéro de la demande »
    assert "{{ numero }}" in dialog.visible_fields()
    assert "{{ objet }}" not in dialog.visible_fields()
    assert "sur" in dialog.count.text()
    dialog.search.setText("Tribunal")
    assert dialog.visible_fields() == ["{{ service.tribunal }}"]
    dialog.search.setText("xyzzy")
    assert dialog.visible_fields() == []
    assert dialog.count.text() == "Aucun champ ne correspond à la recherche."
    dialog.close()


def test_screenshot_of_the_menus(qtbot, window: MainWindow) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "menus-fenetre.png"))
    for name, menu in (("fichier", window.file_menu), ("aide", help_menu(window))):
        assert menu is not None
        menu.adjustSize()  # rendered without popping up (offscreen has no popups)
        assert menu.grab().save(str(ARTIFACTS / f"menu-{name}.png"))
