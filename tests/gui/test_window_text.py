"""Words and widths of the window (issue 9, item 20)."""

from __future__ import annotations

from PySide6.QtGui import QImage
from PySide6.QtWidgets import QTabWidget, QWidget

from desktop.views.main_window import MainWindow
from desktop.views.tall_tabs import give_accents_room
from tests.gui.conftest import ARTIFACTS


def _inactive_tab_image(qtbot, title: str) -> QImage:
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.setDocumentMode(True)
    give_accents_room(tabs.tabBar())
    tabs.addTab(QWidget(), "&Bannette")
    tabs.addTab(QWidget(), title)
    tabs.resize(400, 80)
    tabs.show()
    qtbot.waitExposed(tabs)
    bar = tabs.tabBar()
    return bar.grab(bar.tabRect(1)).toImage()


def test_the_inactive_tab_shows_the_accent_of_echeances(qtbot) -> None:
    accented = _inactive_tab_image(qtbot, "É&chéances (49)")
    plain = _inactive_tab_image(qtbot, "E&chéances (49)")
    assert accented != plain  # the accent was clipped: both tabs looked the same


def test_the_window_tab_bar_gives_the_accent_room(qtbot, window: MainWindow) -> None:
    bar = window.tabs.tabBar()
    window.tabs.setCurrentIndex(0)
    ARTIFACTS.mkdir(exist_ok=True)
    title = bar.tabText(1)
    assert title.startswith("É")
    accented = bar.grab(bar.tabRect(1))
    assert accented.save(str(ARTIFACTS / "onglet-echeances-inactif.png"))
    bar.setTabText(1, "E" + title[1:])
    plain = bar.grab(bar.tabRect(1))
    bar.setTabText(1, title)
    assert accented.toImage() != plain.toImage()


def test_new_citizen_keeps_the_searched_name_as_typed(qtbot, window: MainWindow) -> None:
    """« Nouvel usager » takes the search text with its accents and capitals (not folded)."""
    from tests.gui.conftest import type_text
    from tests.gui.test_intake_dialog import open_dialog

    dialog = open_dialog(qtbot, window)
    for typed in ("Hélène Roux", "LEFÈVRE"):
        dialog.existing_radio.click()
        dialog.last_name.clear()
        dialog.search.clear()
        type_text(dialog.search, typed)
        dialog.new_radio.click()
        assert dialog.last_name.text() == typed
    dialog.reject()


def test_the_login_dialog_shows_the_whole_server_address(qtbot) -> None:
    from desktop.views.sync_ui import LoginDialog

    for server in ("http://127.0.0.1:8765", "https://bannette.agglo-saint-die.fr"):
        dialog = LoginDialog(server, "secretaire")
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        field = dialog.server
        margins = 12  # the frame and the text margins of a QLineEdit
        assert field.width() >= field.fontMetrics().horizontalAdvance(server) + margins
        if server.startswith("https"):
            ARTIFACTS.mkdir(exist_ok=True)
            dialog.grab().save(str(ARTIFACTS / "connexion-serveur.png"))
        dialog.close()
