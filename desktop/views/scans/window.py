"""Scans in the main window: drops on a request, the « À classer » dock, joining images into one
PDF, and the in-app preview of attachments and scans.

``install_scans(window, attachments)`` adds everything; ``app.py`` calls it right after
``install_attachments``. The window keeps it as ``window.scans`` (tests reach it there).

Dropped e-mails (``.eml``, ``.msg``) are not attachments: they are handed to
``ScansUi.mail_handler`` (the mail intake sets it: ``window.scans.mail_handler = f`` with
``f(paths, request_pk_or_None) -> list[RefusedFile]``), and refused with a French sentence
while no one has set it. The intake dialog has its own hook (``IntakeFiles.mail_handler``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QMessageBox

from desktop.documents.join_images import JoinError, join_images
from desktop.services.incoming_files import (
    AttachReport,
    ReadyFile,
    RefusedFile,
    attach_files,
    read_checked,
    sort_incoming,
)
from desktop.services.scan_folder import (
    ScanFile,
    classify,
    read_ends,
    scan_folder_setting,
    set_scan_folder,
)
from desktop.services.scan_watcher import ScanWatcher
from desktop.services.tasks import TaskRunner
from desktop.store.attachments import find_attachment
from desktop.store.database import StoreError
from desktop.store.sync_store import blob_path
from desktop.views.attachments_ui import AttachmentsUi
from desktop.views.detail_pane import DetailPane
from desktop.views.scans.a_classer import AClasserPanel, ScanFolderDialog
from desktop.views.scans.drop import FileDrop
from desktop.views.scans.intake_files import MAIL_NOT_HANDLED
from desktop.views.scans.preview_dialog import PreviewDialog, Previews
from sync.protocol.files import sha256_hex

#: Takes e-mails dropped on a request (or on the bannette, pk None).
WindowMailHandler = Callable[[list[Path], int | None], list[RefusedFile]]
DOCK_TITLE = "À classer"


@dataclass(frozen=True)
class _Joined:
    name: str
    data: bytes


class ScansUi(QObject):
    """The glue between the window, the store, the scan folder and the dialogs."""

    def __init__(self, window: QMainWindow, attachments: AttachmentsUi,
                 runner: TaskRunner, watcher: ScanWatcher) -> None:
        super().__init__(window)
        self.window = window
        self.attachments = attachments
        self.conn = window._repo.connection  # type: ignore[attr-defined]  # noqa: SLF001
        self.runner = runner
        self.watcher = watcher
        self.previews = Previews(window)
        self.mail_handler: WindowMailHandler | None = None
        self.last_report: AttachReport | None = None
        self.folder_dialog: ScanFolderDialog | None = None
        self.panel = AClasserPanel()
        self.dock = QDockWidget(DOCK_TITLE, window)
        self.dock.setObjectName("dock-a-classer")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.toggle_action = self.dock.toggleViewAction()
        self.toggle_action.setObjectName("action-a-classer")
        self.toggle_action.setShortcut("Ctrl+Shift+C")
        self.toggle_action.setStatusTip("Les numérisations du copieur à joindre aux demandes")
        self.folder_action = QAction("Dossier de &numérisation…", window)
        self.folder_action.setObjectName("action-scan-folder")
        self.folder_action.setStatusTip("Le dossier où le copieur dépose ses numérisations "
                                        "(propre à ce poste)")
        self.folder_action.triggered.connect(self.choose_folder)
        panel = self.panel
        panel.attachRequested.connect(self.attach_selected)
        panel.joinRequested.connect(self.join_selected)
        panel.newRequestRequested.connect(self.new_request_with_selected)
        panel.previewRequested.connect(self.preview_selected)
        panel.folderRequested.connect(self.choose_folder)
        watcher.changed.connect(self._scanned)

    # --- drops ------------------------------------------------------------------------------
    def dropped_on_table(self, paths: list[Path], point: QPoint) -> bool:
        window = self.window
        row = window.table.indexAt(point).row()  # type: ignore[attr-defined]
        pk = window.model.pk_at(row) if row >= 0 else None  # type: ignore[attr-defined]
        if pk is None:
            return False
        window.select_request(pk)  # type: ignore[attr-defined]
        self.attach_paths(pk, paths)
        return True

    def table_takes(self, point: QPoint) -> bool:
        return bool(self.window.table.indexAt(point).isValid())  # type: ignore[attr-defined]

    def take_drops(self, pane: DetailPane) -> None:
        """Files dropped on ``pane`` (the main detail, or a request's own window) join the
        request it shows."""

        def dropped(paths: list[Path], _point: QPoint) -> bool:
            pk = pane.shown_pk
            if pk is None:
                return False
            self.attach_paths(pk, paths)
            pane.refresh_attachments()
            return True

        FileDrop(pane.viewport(), dropped, lambda _point: pane.shown_pk is not None)

    def attach_paths(self, pk: int, paths: list[Path]) -> AttachReport:
        """Checks every dropped file, joins those accepted, says what was refused and why."""
        incoming = sort_incoming(paths)
        refused = list(incoming.refused)
        if incoming.mails:
            if self.mail_handler is not None:
                refused += self.mail_handler(incoming.mails, pk)
            else:
                refused += [RefusedFile(p.name, MAIL_NOT_HANDLED.format(name=p.name))
                            for p in incoming.mails]
        report = self._attach(pk, incoming.accepted)
        report.refused = refused + report.refused
        self._tell(report)
        return report

    # --- « À classer » ----------------------------------------------------------------------
    def folder(self) -> Path | None:
        return scan_folder_setting(self.conn)

    def start(self) -> None:
        self.watcher.set_folder(self.folder())
        self.dock.setVisible(self.folder() is not None)

    def choose_folder(self) -> ScanFolderDialog:
        dialog = ScanFolderDialog(self.folder(), self._save_folder, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.folder_dialog = dialog
        dialog.destroyed.connect(lambda _obj=None: setattr(self, "folder_dialog", None))
        dialog.open()
        return dialog

    def _save_folder(self, folder: Path | None) -> str | None:
        try:
            set_scan_folder(self.conn, folder)
        except StoreError as exc:
            return str(exc)
        self.watcher.set_folder(folder)
        if folder is not None:
            self.dock.show()
        self.window.statusBar().showMessage(
            f"Dossier de numérisation : {folder}." if folder
            else "Plus de dossier de numérisation sur ce poste.", 10_000)
        return None

    def _scanned(self, result: object) -> None:
        self.panel.show_result(self.watcher.folder, result)  # type: ignore[arg-type]
        count = self.panel.count
        title = f"{DOCK_TITLE} ({count})" if count else DOCK_TITLE
        self.dock.setWindowTitle(title)
        self.toggle_action.setText(f"À &classer ({count})" if count else "À &classer")
        self.shown(self.window.detail.shown_pk)  # type: ignore[attr-defined]

    def shown(self, pk: object) -> None:
        """The request the panel's files would join."""
        label = None
        if isinstance(pk, int):
            row = self.window._repo.rows([pk]).get(pk)  # type: ignore[attr-defined]  # noqa: SLF001
            if row is not None:
                label = f"{row.reference} — {row.subject}"
        self.panel.set_request(label)

    def _read_scans(self, files: list[ScanFile]) -> tuple[list[ReadyFile], list[RefusedFile]]:
        """Reads the chosen scans as attachments; TIFF ones become one PDF each."""
        ready: list[ReadyFile] = []
        refused: list[RefusedFile] = []
        for scan in files:
            if scan.kind == "tiff":
                try:
                    data = scan.path.read_bytes()
                    pdf = join_images([(scan.name, data)], pdf_name(scan.path))
                except (OSError, JoinError) as exc:
                    refused.append(RefusedFile(scan.name, _reason(scan.name, exc)))
                    continue
                ready.append(ReadyFile(pdf_name(scan.path), pdf, scan.path))
                continue
            checked = read_checked(scan.path)
            (ready if isinstance(checked, ReadyFile) else refused).append(checked)  # type: ignore[arg-type]
        return ready, refused

    def attach_selected(self) -> AttachReport | None:
        pk = self.window.detail.shown_pk  # type: ignore[attr-defined]
        files = self.panel.selected_files()
        if pk is None or not files:
            return None
        ready, refused = self._read_scans(files)
        report = self._attach(pk, ready)
        report.refused = refused + report.refused
        handled = set(report.joined) | set(report.twins)
        self._classify([f.source for f in ready if f.source is not None and f.name in handled])
        self._tell(report)
        return report

    def join_selected(self) -> None:
        """The chosen images, in the list's order, become one PDF joined to the request."""
        pk = self.window.detail.shown_pk  # type: ignore[attr-defined]
        files = self.panel.selected_files()
        if pk is None or not files:
            return
        name = pdf_name(files[0].path)
        paths = [f.path for f in files]
        self.window.statusBar().showMessage(
            f"Assemblage de {len(paths)} image{'s' if len(paths) > 1 else ''} en un PDF…")

        def work() -> _Joined:
            images = []
            for path in paths:
                try:
                    images.append((path.name, path.read_bytes()))
                except OSError as exc:
                    raise JoinError(_reason(path.name, exc)) from exc
            return _Joined(name, join_images(images, name))

        def done(joined: _Joined) -> None:
            report = self._attach(pk, [ReadyFile(joined.name, joined.data)])
            if report.joined or report.twins:
                self._classify(paths)
            self._tell(report)

        def failed(exc: BaseException) -> None:
            self._warn(f"Les images n'ont pas été assemblées ; rien n'a été joint.\n\n{exc}")

        self.runner.run(work, on_success=done, on_failure=failed)

    def new_request_with_selected(self) -> object | None:
        """Opens « Nouvelle demande » with the chosen files joined; they are classified once
        the request is registered (cancelled: they stay « À classer »)."""
        files = self.panel.selected_files()
        if not files:
            return None
        ready, refused = self._read_scans(files)
        if refused:
            self._tell(AttachReport(refused=refused))
            return None
        from desktop.views.intake_dialog import IntakeFlow

        flow = self.window.findChild(IntakeFlow)
        if flow is None:
            return None
        dialog = flow.open()
        dialog.files.add_ready(ready)
        sources = {f.path for f in files}
        dialog.accepted.connect(lambda: self._registered_with(flow, dialog, sources))
        return dialog

    def _registered_with(self, flow: object, dialog: object, sources: set[Path]) -> None:
        """Classifies the scans really joined to the new request: not one the secrétaire took
        off the dialog's list, not a file dropped there from elsewhere."""
        report = getattr(flow, "attached", None)
        if not isinstance(report, AttachReport):
            return
        joined = set(report.joined)
        ready = dialog.files.ready  # type: ignore[attr-defined]
        self._classify([f.source for f in ready if f.source in sources and f.name in joined])
        if report.refused:
            self._tell(report)

    def preview_selected(self) -> PreviewDialog | None:
        files = self.panel.selected_files()
        if len(files) != 1 or files[0].kind is None:
            return None
        scan = files[0]
        try:
            data = scan.path.read_bytes()
        except OSError as exc:
            self._warn(_reason(scan.name, exc))
            return None
        return self.previews.show(
            f"scan:{scan.path}", scan.name, data, None,
            lambda: self.attachments.glue.files.open_file(scan.path))

    def _classify(self, paths: list[Path]) -> None:
        problems = []
        for path in paths:
            try:
                classify(path)
            except StoreError as exc:
                problems.append(str(exc))
            else:
                self.watcher.forget(path)
        if problems:
            self._warn("\n\n".join(problems))
        self.watcher.rescan()

    # --- preview of an attachment -----------------------------------------------------------
    def preview_attachment(self, attachment_id: str) -> PreviewDialog | None:
        attachment = find_attachment(self.conn, attachment_id)
        if attachment is None:
            self._warn("Cette pièce jointe n'existe plus dans la base locale.")
            return None
        try:
            data = blob_path(self.conn, attachment.sha256).read_bytes()
        except OSError:
            data = b""
        if sha256_hex(data) != attachment.sha256:  # not here (or damaged): fetch it first
            self.attachments.glue.requested(attachment_id)
            return None
        return self.previews.show(
            f"attachment:{attachment.id}", attachment.filename, data, attachment.media_type,
            lambda: self.attachments.glue.requested(attachment_id))

    # --- common -----------------------------------------------------------------------------
    def _attach(self, pk: int, files: list[ReadyFile]) -> AttachReport:
        glue = self.attachments.glue
        report = attach_files(self.conn, pk, files, agent_id=glue._agent_id(),  # noqa: SLF001
                              now=glue._now())  # noqa: SLF001
        if report.joined:
            self.window.request_actions.requestChanged.emit(pk)  # type: ignore[attr-defined]
        return report

    def _tell(self, report: AttachReport) -> None:
        self.last_report = report
        self.window.statusBar().showMessage(report.summary(), 10_000)
        if report.refused:
            lines = "\n".join(f"• {item.reason}" for item in report.refused)
            head = ("Ces fichiers n'ont pas été joints :" if not report.joined else
                    f"{report.summary()}\n\nCes fichiers n'ont pas été joints :")
            self._warn(f"{head}\n\n{lines}")

    def _warn(self, text: str) -> None:
        """The attachments' own message box: one place says what happened to files."""
        self.attachments.glue._warn(text)  # noqa: SLF001

    @property
    def message(self) -> QMessageBox | None:
        """The last message box shown (refusals, failures), for tests."""
        return self.attachments.message


def pdf_name(path: Path) -> str:
    return f"{path.stem}.pdf"


def _reason(name: str, exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"Le fichier « {name} » ne peut pas être lu ({exc.strerror or exc})."
    return str(exc)


def _menu(window: QMainWindow, title: str) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.title().replace("&", "") == title:
            return menu
    return None


def install_scans(
    window: QMainWindow,
    attachments: AttachmentsUi,
    *,
    runner: TaskRunner | None = None,
    read: Callable[[Path], tuple[bytes, bytes]] = read_ends,
    interval_ms: int = 5000,
    settle_ms: int = 1000,
) -> ScansUi:
    """Drops, « À classer », Fichier › Dossier de numérisation…, Affichage › À classer
    (Ctrl+Maj+C) and « Aperçu » in the detail pane. ``runner``, ``read`` and the delays are
    there for tests."""
    runner = runner or TaskRunner(window)
    watcher = ScanWatcher(runner, window, interval_ms=interval_ms, settle_ms=settle_ms,
                          read=read)
    ui = ScansUi(window, attachments, runner, watcher)
    FileDrop(window.table.viewport(), ui.dropped_on_table, ui.table_takes)  # type: ignore[attr-defined]
    pane = window.detail  # type: ignore[attr-defined]
    ui.take_drops(pane)
    pane.on_mirrored.append(ui.take_drops)  # the request's own window (Entrée) too
    pane.attachmentPreviewRequested.connect(ui.preview_attachment)
    pane.requestShown.connect(ui.shown)
    file_menu = _menu(window, "Fichier")
    if file_menu is not None:
        actions = file_menu.actions()
        if len(actions) > 1:  # before the separator that precedes « Quitter »
            file_menu.insertAction(actions[-2], ui.folder_action)
        else:
            file_menu.addAction(ui.folder_action)
    view_menu = _menu(window, "Affichage")
    if view_menu is not None:
        view_menu.addAction(ui.toggle_action)
    window.addAction(ui.toggle_action)
    window.scans = ui  # type: ignore[attr-defined]
    ui.start()
    return ui

