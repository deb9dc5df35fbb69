"""Screenshots of the user guide, taken from the real window offscreen.

``python -m docs.guide.screenshots [--output DIR]`` builds a demo store (fixed seed, fixed
day), opens the real ``MainWindow`` and its dialogs with Qt's offscreen platform and grabs
them at a fixed size into ``docs/guide/images/``: when the interface changes, running it again
brings the guide's pictures up to date. Nothing is sent anywhere: the sync is installed (its
menu and status line show) but never logged in, and the session vault lives in memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from desktop.views.missing_documents_dialog import MissingDocumentsDialog

IMAGES = Path(__file__).resolve().parent / "images"
#: The demo's reference day and seed: the same pictures on every run.
DAY = date(2026, 11, 23)
SEED = 2026
REQUESTS = 500
#: The window's size in the pictures: wide enough for every column of the bannette.
WINDOW_SIZE = (1560, 760)
#: Pictures wider than this are scaled down, smoothly, to fit the help window unscaled.
MAX_WIDTH = 1040
#: How the pictures show the login dialog (a made-up address).
SERVER = "https://bannette.communaute-exemple.fr"
LOGIN = "sophie.martin"


def take(output: Path = IMAGES) -> list[Path]:
    """Grab every picture of the guide into ``output``; returns the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtWidgets import QApplication, QWidget

    from desktop.app import fill_demo_letterheads, install_french
    from desktop.demo.generator import generate
    from desktop.services.letters import DOCUMENTS_ENV
    from desktop.store.database import connect
    from desktop.store.inbox import InboxRepository
    from desktop.syncing.session import TokenVault
    from desktop.syncing.worker import SyncController
    from desktop.views.attachments_ui import install_attachments
    from desktop.views.main_window import MainWindow
    from desktop.views.missing_documents_dialog import MissingDocumentsDialog
    from desktop.views.request_actions import RequestAction
    from desktop.views.sync_ui import ConflictsDialog, LoginDialog, install_sync

    class MemoryVault(TokenVault):
        """Never the user's keyring: the pictures need no session."""

        def load(self, server: str, login: str) -> str | None:
            return None

        def save(self, server: str, login: str, refresh_token: str | None) -> None:
            return None

    app = QApplication.instance()
    if app is None:  # run as a script: Qt in French as in the app
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Bannette")
        install_french(app)
    # (inside the test suite, the application and its translators stay as the tests set them)
    output.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="bannette-guide-") as work:
        folder = Path(work)
        os.environ[DOCUMENTS_ENV] = str(folder / "courriers")
        path = folder / "demo.sqlite3"
        conn = connect(path)
        generate(conn, requests=REQUESTS, seed=SEED, today=DAY)
        fill_demo_letterheads(conn)
        settings = QSettings(str(folder / "bannette.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            InboxRepository(conn), settings, today=lambda: DAY, title_suffix=" (démonstration)"
        )
        controller = SyncController(path, conn, vault=MemoryVault(), parent=window)
        install_sync(window, controller)
        install_attachments(window, controller)
        window.resize(*WINDOW_SIZE)
        window.show()

        def settle() -> None:
            for _ in range(5):
                app.processEvents()

        def save(widget: QWidget, name: str) -> None:
            settle()
            target = output / f"{name}.png"
            picture = widget.grab()
            if picture.width() > MAX_WIDTH:
                picture = picture.scaledToWidth(
                    MAX_WIDTH, Qt.TransformationMode.SmoothTransformation
                )
            if not picture.save(str(target)):
                raise OSError(f"cannot write {target}")
            written.append(target)

        def dialog_shot(open_dialog: Callable[[], QDialog], name: str) -> None:
            dialog = open_dialog()
            dialog.show()
            save(dialog, name)
            dialog.reject()
            settle()

        first_received = conn.execute(
            "SELECT pk FROM request WHERE status = 'received' ORDER BY received_at DESC LIMIT 1"
        ).fetchone()[0]
        with_documents = conn.execute(
            "SELECT r.pk FROM request r JOIN procedure p ON p.pk = r.procedure_pk"
            " WHERE r.status = 'received' AND p.required_documents != '[]'"
            " ORDER BY r.received_at DESC LIMIT 1"
        ).fetchone()[0]
        try:
            window.select_request(first_received)
            save(window, "bannette")

            window.filters.overdue.setChecked(True)
            settle()
            window.show_inbox()
            save(window, "filtres")
            window.filters.clear()

            window.show_deadlines()
            save(window, "echeances")
            window.show_inbox()
            window.select_request(first_received)

            window.new_request_action.trigger()
            dialog_shot(lambda: _dialog("Nouvelle demande"), "nouvelle-demande")
            window.phone_call_action.trigger()
            dialog_shot(lambda: _dialog("Appel téléphonique"), "appel-telephonique")
            window.select_request(with_documents)
            window.request_actions.trigger(RequestAction.MISSING_DOCUMENTS)
            asked = window.request_actions.dialog
            assert isinstance(asked, MissingDocumentsDialog)
            dialog_shot(lambda: _first_ticked(asked), "pieces-manquantes")
            dialog_shot(lambda: LoginDialog(SERVER, LOGIN, "", window), "connexion")
            dialog_shot(lambda: ConflictsDialog(conn, window), "conflits")
        finally:
            controller.stop()
            window.close()
            settle()
            conn.close()
    return written


def _first_ticked(dialog: MissingDocumentsDialog) -> MissingDocumentsDialog:
    """The missing-documents dialog with its first required document ticked."""
    from PySide6.QtCore import Qt

    required = dialog.required
    if required.count():
        required.item(0).setCheckState(Qt.CheckState.Checked)
    return dialog


def _dialog(title: str) -> QDialog:
    """The dialog with this title that an action just opened (window-modal, not blocking)."""
    from PySide6.QtWidgets import QApplication, QDialog

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QDialog) and widget.isVisible() and widget.windowTitle() == title:
            return widget
    raise LookupError(f"no dialog « {title} » opened")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m docs.guide.screenshots",
        description="Captures d'écran du guide d'utilisation, prises dans la vraie fenêtre.",
    )
    parser.add_argument("--output", type=Path, default=IMAGES, help="dossier des images")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    for path in take(args.output):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
