"""Start-up: command line, French translations, the database, the main window.

``python -m desktop --demo`` opens a populated demo bannette (generated on first run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from desktop.store.database import (
    APP_NAME,
    DATABASE_ENV,
    StoreError,
    connect,
    default_database_path,
    unusable_folder_message,
)
from desktop.version import app_version

_STARTED = time.perf_counter()

DEMO_REQUESTS = 500
STARTUP_PROBE_ENV = "BANNETTE_STARTUP_PROBE"
SETTINGS_ENV = "BANNETTE_SETTINGS"
#: "0" keeps ``--demo`` fully offline (no background server).
DEMO_SERVER_ENV = "BANNETTE_DEMO_SERVER"
#: After the window closed, how long the sync thread may take to close its connection.
QUIT_GRACE_MS = 1_000


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bannette",
        description="Bannette : traitement des demandes des usagers de la mairie.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        help=f"fichier de la base locale (sinon ${DATABASE_ENV}, "
        "sinon le dossier de données de l'utilisateur)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="ouvrir une bannette de démonstration (créée au premier lancement)",
    )
    parser.add_argument(
        "--demo-requests",
        type=int,
        default=DEMO_REQUESTS,
        help="nombre de demandes de la démonstration (500 par défaut)",
    )
    parser.add_argument(
        "--seed", type=int, default=2026, help="graine des données de démonstration"
    )
    parser.add_argument(
        "--version",
        action="version",
        version=app_version(),
        help="afficher la version du logiciel et quitter",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="vérifier que l'installation est complète (base, trousseau, modèles, PDF, "
        "interface) puis quitter : code 0 si tout va bien",
    )
    return parser.parse_args(list(argv))


def database_path(args: argparse.Namespace) -> Path:
    if args.database:
        return Path(args.database)
    if args.demo and not os.environ.get(DATABASE_ENV):
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "demo.sqlite3"
    return default_database_path()


def settings_path() -> Path:
    override = os.environ.get(SETTINGS_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "bannette.ini"


#: Who signs the demo communes' letters and which court hears appeals against them. The names
#: are fictitious; the courts are the real ones for these departments.
DEMO_LETTERHEADS: dict[str, tuple[str, str]] = {
    "88": ("Claire Vautrin", "tribunal administratif de Nancy"),
    "57": ("Paul Schneider", "tribunal administratif de Strasbourg"),
    "67": ("Anne Koenig", "tribunal administratif de Strasbourg"),
}


def fill_demo_letterheads(conn) -> None:  # type: ignore[no-untyped-def]
    """Give the demo communes a signatory and a court, so their letters look finished."""
    from desktop.store.legal import set_letterhead

    for pk, department, mayor in conn.execute(
        "SELECT pk, department, mayor_name FROM authority"
    ).fetchall():
        if department in DEMO_LETTERHEADS and not mayor:
            name, court = DEMO_LETTERHEADS[department]
            set_letterhead(conn, pk, mayor_name=name, administrative_court=court)


def prepare_database(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from desktop.demo.generator import generate

    conn = connect(database_path(args))
    empty = conn.execute("SELECT COUNT(*) FROM authority").fetchone()[0] == 0
    if args.demo and empty:
        print(f"Création de la bannette de démonstration ({args.demo_requests} demandes)…")
        generate(conn, requests=args.demo_requests, seed=args.seed)
    if args.demo:
        fill_demo_letterheads(conn)
    return conn


def install_french(app: object) -> list[object]:
    """French for Qt's own dialogs and for QLocale formatting (``desktop.views.qt_french``)."""
    from desktop.views.qt_french import install_french as install

    return list(install(app))  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # Commands for scripts: no window, no Qt.
    if arguments[:1] == ["import-mail"]:
        from desktop.import_mail import main as import_mail

        return import_mail(arguments[1:])
    if arguments and arguments[0] in ("export", "stats"):  # issue 13
        from desktop.exports.commands import main as command

        return command(arguments)
    args = parse_args(arguments)
    if args.self_test:
        from desktop.selftest import run_self_test

        return run_self_test(database_path(args))
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from desktop.store.inbox import InboxRepository
    from desktop.views.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Bannette")
    app.setOrganizationName(APP_NAME)
    _set_icon(app)
    install_french(app)
    from desktop.views.single_instance import (
        ALREADY_RUNNING,
        NOT_ANSWERING,
        SingleInstance,
        bring_to_front,
    )

    guard = SingleInstance(database_path(args))
    try:
        claimed = guard.claim()
    except OSError as exc:  # the data folder cannot even be created
        QMessageBox.critical(None, "Bannette", unusable_folder_message(database_path(args), exc))
        return 1
    if not claimed:
        # Another Bannette owns this database: never open it a second time for writing.
        if guard.ask_first_to_show():
            print(ALREADY_RUNNING, flush=True)
            return 0
        QMessageBox.warning(None, "Bannette", NOT_ANSWERING)
        return 1
    try:
        conn = prepare_database(args)
    except StoreError as exc:
        guard.release()
        QMessageBox.critical(None, "Bannette", str(exc))
        return 1
    settings = QSettings(str(settings_path()), QSettings.Format.IniFormat)
    window = MainWindow(
        InboxRepository(conn), settings, title_suffix=" (démonstration)" if args.demo else ""
    )
    guard.activated.connect(lambda: bring_to_front(window))
    controller = None
    if os.environ.get(STARTUP_PROBE_ENV):
        _install_startup_probe(window)
    else:
        controller = _start_sync(app, window, conn, database_path(args), demo=args.demo)
    window.show()
    if os.environ.get(STARTUP_PROBE_ENV):
        QTimer.singleShot(30_000, app.quit)
    else:
        # After the first paint: the morning summary of what is due (once a day).
        QTimer.singleShot(1500, window.notify_deadlines)
    code = app.exec()
    guard.release()
    if controller is not None and not controller.finish(QUIT_GRACE_MS):  # type: ignore[attr-defined]
        # The window is already gone; the sync thread is still inside a request to a slow
        # server. Leaving now is safe (each pulled page is its own transaction, a push is
        # replayed idempotently) and Qt must not destroy a thread that still runs.
        os._exit(code)
    return code


def _set_icon(app: object) -> None:
    """The window and task-bar icon, from the source tree or the frozen bundle."""
    from PySide6.QtGui import QIcon

    root = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1]))
    icon = root / "resources" / "icons" / "bannette.png"
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))  # type: ignore[attr-defined]


def _start_sync(app: object, window: object, conn: object, path: Path, *, demo: bool) -> object:
    """The sync worker (its own thread and connection) and its place in the window.

    ``--demo`` also starts the reference server in the background with its demo data and
    logs in (issue 4), unless BANNETTE_DEMO_SERVER=0; otherwise a PC that logged in before
    syncs at once, and every minute after."""
    from desktop.syncing.online import SyncThreadOnline
    from desktop.syncing.worker import SyncController
    from desktop.views.admin.menu import connect_admin_server
    from desktop.views.attachments_ui import install_attachments
    from desktop.views.mail_drop import WindowDrop, scans_mail_handler
    from desktop.views.rgpd import use_online
    from desktop.views.scans.window import install_scans
    from desktop.views.sync_ui import install_sync

    controller = SyncController(path, conn, parent=window)  # type: ignore[arg-type]
    install_sync(window, controller)  # type: ignore[arg-type]
    attachments = install_attachments(window, controller)  # type: ignore[arg-type]
    scans = install_scans(window, attachments)  # type: ignore[arg-type]  # drops, « À classer », aperçu
    # A mail among files dropped on a row or the detail opens the intake filled from it.
    mail_drop = window.findChild(WindowDrop)
    if mail_drop is not None:
        scans.mail_handler = scans_mail_handler(mail_drop)
    use_online(window, SyncThreadOnline(controller, window))  # type: ignore[arg-type]
    connect_admin_server(window, controller)  # type: ignore[arg-type]
    # Quitting waits for nothing: neither a request in flight nor the demo server (issue 9).
    app.aboutToQuit.connect(lambda: controller.stop(wait=False))  # type: ignore[attr-defined]
    known = conn.execute(  # type: ignore[attr-defined]
        "SELECT 1 FROM sync_state WHERE key = 'server_url'"
    ).fetchone()
    if demo and os.environ.get(DEMO_SERVER_ENV, "1") != "0":
        controller.start_demo()
    elif known:
        controller.sync_now()
    controller.start_timer()
    return controller


def _install_startup_probe(window: object) -> None:
    """For bench/: report when the first rows are painted, then quit."""
    from PySide6.QtWidgets import QApplication

    from desktop.views.main_window import FirstPaintProbe

    def painted() -> None:
        print(
            json.dumps(
                {"first_paint_s": time.perf_counter() - _STARTED, "rows": window.model.matching}  # type: ignore[attr-defined]
            ),
            flush=True,
        )
        QApplication.instance().quit()  # type: ignore[union-attr]

    probe = FirstPaintProbe(painted)
    viewport = window.table.viewport()  # type: ignore[attr-defined]
    viewport.installEventFilter(probe)
    window._startup_probe = probe  # type: ignore[attr-defined]  # keep it alive


if __name__ == "__main__":
    raise SystemExit(main())
