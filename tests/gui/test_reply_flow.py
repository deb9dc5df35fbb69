"""Issue 10 on the desktop: the reply workshop, the parapheur, the élu's desk, the sending.

Driven through the real widgets on the demo database, with real .docx templates, the real
LibreOffice for the preview (tests marked ``libreoffice``), real PyMuPDF and a real QPrinter
writing a PDF file. Word is the one thing not here: its save (temporary file renamed over the
draft) is reproduced on disk, which is what the watcher sees of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import docx
import pymupdf
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QMenu, QMessageBox, QPushButton, QToolBar

from desktop.documents.pdf import LibreOfficeConverter, find_soffice
from desktop.services.letters import LetterService, safe_folder_name
from desktop.services.tasks import TaskRunner
from desktop.store.attachments import add_attachment
from desktop.store.inbox import Column
from desktop.store.replies import (
    PROVISIONAL_REFUSAL,
    decide,
    request_folder,
    send_to_parapheur,
)
from desktop.views.main_window import MainWindow
from desktop.views.reply.draft_dialog import ReplyDialog
from desktop.views.widgets.pdf_print import print_pdf
from desktop.views.widgets.pdf_viewer import PdfViewer
from sync.protocol.vocabulary import Outcome
from sync.protocol.wire import StepKind
from tests.conftest import TODAY
from tests.gui.conftest import ARTIFACTS, type_text

NOON = datetime(2026, 11, 23, 12, 0)
needs_soffice = pytest.mark.skipif(find_soffice() is None, reason="LibreOffice absent")


class NoPdf(LibreOfficeConverter):
    """A PC without LibreOffice nor Word."""

    def __init__(self) -> None:
        super().__init__(executable=None)
        self.executable = None


def make_template(path: Path, extra: str = "") -> Path:
    document = docx.Document()
    document.add_paragraph("{{ service.collectivite }}")
    document.add_paragraph("{{ usager.nom }}")
    document.add_paragraph("{{ usager.adresse|join(' / ') }}")
    document.add_paragraph("Objet : réponse à votre demande n° {{ numero }} ({{ objet }})")
    document.add_paragraph("Madame, Monsieur, votre demande est accordée." + extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(path)
    return path


def make_pdf(path: Path, pages: int = 2, text: str = "Annexe") -> Path:
    document = pymupdf.open()
    for number in range(pages):
        document.new_page().insert_text((72, 100), f"{text} page {number + 1}", fontsize=20)
    document.save(path)
    return path


class Opener:
    """Records what the app asks the system to open; ``works=False``: no application."""

    def __init__(self, works: bool = True) -> None:
        self.works = works
        self.urls: list[str] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url.toLocalFile())
        return self.works


@pytest.fixture
def templates_root(tmp_path: Path) -> Path:
    return tmp_path / "modeles"


@pytest.fixture
def reply_window(
    make_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
    documents_folder: Path,
) -> Callable[..., MainWindow]:
    def make(converter: object | None = None, opener: Opener | None = None,
             **options: object) -> MainWindow:
        letters = LetterService(demo_db, documents_root=documents_folder,
                                template_root=templates_root, converter=converter)
        return make_window(letters=letters, tasks=TaskRunner(synchronous=True),
                           open_url=opener or Opener(), **options)

    return make


def a_request(conn: sqlite3.Connection, status: str = "acknowledged") -> int:
    pk = conn.execute(
        "SELECT r.pk FROM request r JOIN citizen c ON c.pk = r.citizen_pk "
        "WHERE r.status = ? AND r.deleted = 0 AND c.address != '' AND c.email != '' "
        "ORDER BY r.pk LIMIT 1", (status,),
    ).fetchone()[0]
    return int(pk)


def commune_dir(conn: sqlite3.Connection, pk: int, root: Path) -> Path:
    name = conn.execute("SELECT a.name FROM request r JOIN authority a ON a.pk = r.authority_pk "
                        "WHERE r.pk = ?", (pk,)).fetchone()[0]
    return root / safe_folder_name(name)


def agent_id(conn: sqlite3.Connection, login: str) -> str:
    return str(conn.execute("SELECT id FROM agent WHERE login = ?", (login,)).fetchone()[0])


def save_like_word(draft: Path, text: str) -> None:
    """Word writes a temporary file, then renames it over the draft."""
    document = docx.Document(draft)
    document.add_paragraph(text)
    temporary = draft.with_name("~WRL0001.tmp")
    document.save(temporary)
    os.replace(temporary, draft)


def open_workshop(window: MainWindow, pk: int) -> ReplyDialog:
    window.select_request(pk)
    action = window.findChild(QAction, "action-draft-reply")
    assert action.isEnabled(), action.toolTip()
    action.trigger()
    dialog = window.replies.drafts[pk]
    assert dialog.isVisible()
    return dialog


def drafted(make: Callable[..., MainWindow], conn: sqlite3.Connection, root: Path,
            **options: object) -> tuple[MainWindow, ReplyDialog, int]:
    """A request's reply drafted from the commune's « accord » template (version 1)."""
    pk = a_request(conn)
    make_template(commune_dir(conn, pk, root) / "accord.docx")
    window = make(**options)
    dialog = open_workshop(window, pk)
    dialog.choose_template("accord")
    dialog.create_draft()
    return window, dialog, pk


# --------------------------------------------------------------------------- the workshop


@needs_soffice
@pytest.mark.libreoffice
def test_draft_versions_preview_and_attachment(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
    qtbot,
) -> None:
    opener = Opener()
    window, dialog, pk = drafted(reply_window, demo_db, templates_root, opener=opener)
    assert dialog.draft is not None and dialog.draft.is_file()
    assert opener.urls == [str(dialog.draft)]  # opened in Word / LibreOffice
    assert demo_db.execute("SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0] \
        == "drafting"
    # The preview is the PDF of version 1, rendered by PyMuPDF, and it is attached.
    assert dialog.viewer.page_count >= 1
    dialog.viewer.render_all_now()
    text = pymupdf.open(dialog.viewer.path)[0].get_text()
    number = demo_db.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    assert number in text
    names = [r[0] for r in demo_db.execute(
        "SELECT filename FROM attachment WHERE request_pk = ?", (pk,))]
    assert any(n.endswith("_reponse_v1.pdf") for n in names)

    # Saved twice in « Word »: two more versions, the first ones kept.
    with qtbot.waitSignal(dialog.versionAdded, timeout=10_000):
        save_like_word(dialog.draft, "Premier ajout.")
    with qtbot.waitSignal(dialog.versionAdded, timeout=10_000):
        save_like_word(dialog.draft, "Second ajout après un renommage.")
    assert [dialog.versions.item(i).text().split(" — ")[0]
            for i in range(dialog.versions.count())] == ["Version 3", "Version 2", "Version 1"]
    assert "Second ajout" in pymupdf.open(dialog.viewer.path)[0].get_text()
    assert "Réponse" in window.detail.toPlainText()
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "reply-dialog.png"))


def test_a_faulty_template_is_refused_in_french_before_anything_is_written(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
    documents_folder: Path,
) -> None:
    pk = a_request(demo_db)
    folder = commune_dir(demo_db, pk, templates_root)
    make_template(folder / "refus.docx", " {{ motif_inconnu }}")
    (folder / "ancien.doc").write_bytes(b"\xd0\xcf\x11\xe0 not a docx")
    window = reply_window(converter=NoPdf())
    dialog = open_workshop(window, pk)
    dialog.choose_template("refus")
    dialog.create_draft()
    assert dialog.error.isVisible()
    assert "refus.docx" in dialog.error.text() and "motif_inconnu" in dialog.error.text()
    dialog.choose_template("ancien")
    dialog.create_draft()
    assert "Word 97-2003" in dialog.error.text()
    assert not list(documents_folder.rglob("*.docx"))  # nothing produced
    assert dialog.versions.count() == 0


def test_without_an_application_for_docx_the_folder_is_offered(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
) -> None:
    opener = Opener(works=False)
    _window, dialog, _pk = drafted(reply_window, demo_db, templates_root, converter=NoPdf(),
                                   opener=opener)
    box = dialog.message
    assert box is not None and "Aucune application" in box.text()
    box.findChild(QPushButton, "reply-no-app-folder").click()
    assert opener.urls[-1] == str(dialog.draft.parent)
    # No converter: said clearly, the version is kept all the same.
    assert "aucun logiciel de conversion" in dialog.status.text()
    assert dialog.versions.count() == 1


# --------------------------------------------------------------------------- parapheur


def drafting_with_pdf(conn: sqlite3.Connection, tmp_path: Path) -> tuple[int, str]:
    pk = a_request(conn)
    conn.execute("UPDATE request SET status = 'drafting' WHERE pk = ?", (pk,))
    number = conn.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    pdf = add_attachment(conn, pk, make_pdf(tmp_path / "r.pdf", 2, "Réponse"),
                         f"{number}_reponse_v1.pdf")
    return pk, pdf


def test_send_to_parapheur_from_the_menu(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk, pdf = drafting_with_pdf(demo_db, tmp_path)
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    action = window.findChild(QAction, "action-send-parapheur")
    assert action.isEnabled(), action.toolTip()
    action.trigger()
    dialog = window.replies.dialog
    assert dialog.main.currentData() == pdf
    assert dialog.signer.currentText() == "Marie-Noëlle Schmitt"
    type_text(dialog.public, "À signer avant le conseil, merci.")
    dialog.wished.setChecked(True)
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "parapheur-dialog.png"))
    dialog.send.click()
    assert not dialog.isVisible()
    folder = request_folder(demo_db, pk)
    assert folder is not None and folder.public_annotation == "À signer avant le conseil, merci."
    assert folder.wished_date == TODAY
    row = window.model.row_of(pk)
    status = window.model.index(row, Column.STATUS).data()
    assert status == "Au parapheur — en attente d'envoi"
    assert "en attente d'envoi" in window.detail.toPlainText()
    window.grab().save(str(ARTIFACTS / "inbox-at-parapheur.png"))


# --------------------------------------------------------------------------- the élu's desk


@pytest.fixture
def waiting_folder(demo_db: sqlite3.Connection, tmp_path: Path) -> tuple[int, str]:
    """A folder sent two weeks ago, wished signed for last Friday: late, waiting for the élu."""
    pk, pdf = drafting_with_pdf(demo_db, tmp_path)
    folder_id = send_to_parapheur(
        demo_db, pk, main_attachment_id=pdf,
        steps=[(StepKind.SIGNATURE, agent_id(demo_db, "mschmitt"))],
        public_annotation="Refus motivé : zone inondable.", private_annotation="Voir l'adjoint.",
        wished_date=date(2026, 11, 20), agent_id=agent_id(demo_db, "smartin"),
        at=datetime(2026, 11, 9, 10, 0),
    )
    demo_db.execute("UPDATE setting SET value = ? WHERE key = 'current_agent'",
                    (agent_id(demo_db, "mschmitt"),))
    return pk, folder_id


def test_the_elu_opens_on_the_desk_without_editing_actions(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
    waiting_folder: tuple[int, str], qtbot,
) -> None:
    pk, folder_id = waiting_folder
    window = reply_window(converter=NoPdf())
    desk = window.official_desk
    assert desk is not None and window.tabs.currentWidget() is desk
    qtbot.wait(10)  # the deferred pass over actions added after the window was built
    assert not window.findChild(QMenu, "menu-request").menuAction().isVisible()
    assert not window.findChild(QToolBar, "request-toolbar").isVisible()
    for name in ("action-new-request", "action-phone-call", "action-draft-reply",
                 "action-send-reply", "action-acknowledgement"):
        action = window.findChild(QAction, name)
        assert action is None or (not action.isEnabled() and action.shortcut().isEmpty()), name
    assert desk.folders.count() == 1
    assert desk.folders.item(0).text().startswith("En retard — ")
    assert desk.viewer.page_count == 2
    assert "zone inondable" in desk.annotations.text()
    assert not desk.visa_button.isVisible() and desk.sign_button.isVisible()

    # Rejecting without a comment: refused, nothing queued.
    assert desk.decide("reject") is False
    assert "motivé" in desk.folder_error.text()
    assert demo_db.execute("SELECT COUNT(*) FROM sync_outbox WHERE name = 'parapheur.decide'"
                           ).fetchone()[0] == 0
    desk.viewer.step_zoom(1)
    desk.viewer.render_all_now()
    ARTIFACTS.mkdir(exist_ok=True)
    window.grab().save(str(ARTIFACTS / "elu-desk.png"))
    desk.viewer.grab().save(str(ARTIFACTS / "pdf-viewer.png"))
    type_text(desk.comment, "Le motif doit citer le PPRI.")
    assert desk.decide("reject") is True
    args = json.loads(demo_db.execute(
        "SELECT args FROM sync_outbox WHERE name = 'parapheur.decide'").fetchone()[0])
    assert args == {"folder_id": folder_id, "position": 1, "action": "reject",
                    "comment": "Le motif doit citer le PPRI."}
    assert desk.folders.count() == 0
    assert demo_db.execute("SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0] \
        == "drafting"


def test_offline_decisions_are_queued_in_order(
    demo_db: sqlite3.Connection, waiting_folder: tuple[int, str], tmp_path: Path,
) -> None:
    pk, first = waiting_folder
    other, pdf = drafting_with_pdf(demo_db, tmp_path)
    demo_db.execute("UPDATE request SET status = 'drafting' WHERE pk = ?", (other,))
    second = send_to_parapheur(demo_db, other, main_attachment_id=pdf, steps=[
        (StepKind.SIGNATURE, agent_id(demo_db, "mschmitt"))], agent_id=None, at=NOON)
    elu = agent_id(demo_db, "mschmitt")
    decide(demo_db, second, position=1, action="sign", agent_id=elu, at=NOON)
    decide(demo_db, first, position=1, action="sign", agent_id=elu, at=NOON)
    queued = [json.loads(r[0])["folder_id"] for r in demo_db.execute(
        "SELECT args FROM sync_outbox WHERE name = 'parapheur.decide' ORDER BY mutation_id")]
    assert queued == [second, first]


def test_the_clerk_asks_an_opinion_and_the_elu_gives_it(
    reply_window: Callable[..., MainWindow], make_window: Callable[..., MainWindow],
    demo_db: sqlite3.Connection,
) -> None:
    pk = a_request(demo_db)
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.findChild(QAction, "action-ask-opinion").trigger()
    dialog = window.replies.dialog
    type_text(dialog.question, "Accord de principe ?")
    dialog.submit()
    assert not dialog.isVisible()
    demo_db.execute("UPDATE setting SET value = ? WHERE key = 'current_agent'",
                    (agent_id(demo_db, "mschmitt"),))
    elu_window = reply_window(converter=NoPdf())
    desk = elu_window.official_desk
    assert desk.reviews.count() == 1 and desk.stack.currentWidget() is not desk.empty
    assert "Accord de principe ?" in desk.review_title.text()
    desk.opinion.setCurrentIndex(desk.opinion.findData("favorable"))
    assert desk.give() is True
    assert desk.reviews.count() == 0
    given = json.loads(demo_db.execute(
        "SELECT args FROM sync_outbox WHERE name = 'request.give_opinion'").fetchone()[0]
    ) if demo_db.execute("SELECT version FROM request WHERE pk = ?", (pk,)).fetchone()[0] else None
    assert given is None or given["opinion"] == "favorable"


# --------------------------------------------------------------------------- the reply leaves


def test_a_provisional_number_cannot_send_a_letter(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk, _pdf = drafting_with_pdf(demo_db, tmp_path)
    demo_db.execute("UPDATE request SET number = 'P-2026-0042' WHERE pk = ?", (pk,))
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.findChild(QAction, "action-send-reply").trigger()
    box = window.replies.message
    assert isinstance(box, QMessageBox) and box.text() == PROVISIONAL_REFUSAL
    assert box.findChild(QPushButton, "reply-sync-now") is not None
    assert demo_db.execute("SELECT status FROM request WHERE pk = ?", (pk,)).fetchone()[0] \
        == "drafting"


def test_print_to_a_pdf_file_and_read_it_back(tmp_path: Path, qtbot) -> None:
    source = make_pdf(tmp_path / "reponse.pdf", 3, "Lettre")
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printed = tmp_path / "imprime.pdf"
    printer.setOutputFileName(str(printed))
    assert print_pdf(source, printer) == 3
    result = pymupdf.open(printed)
    assert result.page_count == 3
    assert all(page.get_images() for page in result)  # each page carries the rendered letter
    width = result[0].rect.width
    assert abs(width - pymupdf.open(source)[0].rect.width) < 30  # real size, no shrinking


def test_send_by_post_prints_then_answers_with_the_outcome(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk, pdf = drafting_with_pdf(demo_db, tmp_path)
    printed: list[Path] = []

    def to_file(path: Path) -> bool:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(str(tmp_path / "courrier.pdf"))
        print_pdf(path, printer)
        printed.append(path)
        return True

    window = reply_window(converter=NoPdf())
    window.replies.print_pdf = to_file
    window.select_request(pk)
    window.findChild(QAction, "action-send-reply").trigger()
    dialog = window.replies.dialog
    ARTIFACTS.mkdir(exist_ok=True)
    dialog.grab().save(str(ARTIFACTS / "send-reply-dialog.png"))
    dialog.tabs.setCurrentIndex(1)
    dialog.send.click()  # no outcome chosen yet
    assert "décision" in dialog.error.text()
    dialog.choose_outcome(Outcome.NO_FOLLOW_UP)
    dialog.send.click()  # not printed yet
    assert "Imprimez" in dialog.error.text()
    dialog.print_button.click()
    assert printed and pymupdf.open(tmp_path / "courrier.pdf").page_count == 2
    dialog.posted_on.edit.setText("24/11")  # tomorrow: not posted yet
    dialog.send.click()
    assert dialog.isVisible() and "futur" in dialog.error.text()
    dialog.posted_on.edit.setText("23/11")
    dialog.grab().save(str(ARTIFACTS / "send-reply-post.png"))
    dialog.send.click()
    assert not dialog.isVisible()
    status, outcome, due = demo_db.execute(
        "SELECT status, outcome, due_date FROM request WHERE pk = ?", (pk,)).fetchone()
    assert (status, outcome, due) == ("answered", "no_follow_up", None)
    detail = json.loads(demo_db.execute(
        "SELECT detail FROM event WHERE request_pk = ? AND kind = 'reply_sent'", (pk,)
    ).fetchone()[0])
    assert detail == {"mode": "post", "outcome": "no_follow_up", "attachment_id": pdf,
                      "sent_on": TODAY.isoformat()}


def test_send_by_email_prefills_the_message(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk, _pdf = drafting_with_pdf(demo_db, tmp_path)
    email, number = demo_db.execute(
        "SELECT c.email, a.insee_code || '-' || r.number FROM request r "
        "JOIN citizen c ON c.pk = r.citizen_pk JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.pk = ?", (pk,)).fetchone()
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.findChild(QAction, "action-send-reply").trigger()
    dialog = window.replies.dialog
    assert dialog.to_email.text() == email
    assert dialog.subject.text() == f"Réponse à votre demande n° {number}"
    assert "Madame, Monsieur," in dialog.body.toPlainText()
    dialog.choose_outcome(Outcome.ACCEPTED)
    dialog.send.click()
    assert demo_db.execute("SELECT status, outcome FROM request WHERE pk = ?", (pk,)
                           ).fetchone()[:] == ("answered", "accepted")


def test_a_rejection_pulled_from_the_parapheur_is_notified_once(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
    waiting_folder: tuple[int, str],
) -> None:
    pk, folder_id = waiting_folder
    decide(demo_db, folder_id, position=1, action="reject", comment="Revoir le motif",
           agent_id=agent_id(demo_db, "mschmitt"), at=NOON)
    demo_db.execute("UPDATE setting SET value = ? WHERE key = 'current_agent'",
                    (agent_id(demo_db, "smartin"),))
    window = reply_window(converter=NoPdf())
    window.model.reload(data_changed=True)  # what a sync does
    assert "revenue en rédaction : Revoir le motif" in window.statusBar().currentMessage()
    window.statusBar().clearMessage()
    window.model.reload(data_changed=True)
    assert window.statusBar().currentMessage() == ""
    window.select_request(pk)
    assert "rejeté" in window.detail.toPlainText()


def test_the_viewer_zooms_and_says_when_a_file_cannot_be_read(tmp_path: Path, qtbot) -> None:
    viewer = PdfViewer()
    qtbot.addWidget(viewer)
    assert viewer.load(make_pdf(tmp_path / "a.pdf", 3))
    viewer.render_all_now()
    width = viewer.page_image(0).width()
    viewer.step_zoom(1)
    viewer.render_all_now()
    assert viewer.zoom == 1.25 and viewer.page_image(0).width() > width
    assert viewer.pages_label.text() == "3 pages"
    broken = tmp_path / "abime.pdf"
    broken.write_bytes(b"%PDF-1.4 garbage")
    assert not viewer.load(broken)
    assert "Impossible d'afficher" in viewer.message.text()
    assert Qt.AlignmentFlag.AlignCenter & viewer.message.alignment()


def test_assemble_the_reply_with_annexes_in_the_dragged_order(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    from desktop.store.replies import add_reply_version, attach_version_pdf

    pk = a_request(demo_db)
    draft = tmp_path / "brouillon.docx"
    docx.Document().save(draft)
    version = add_reply_version(demo_db, pk, draft, agent_id=None, at=NOON)
    attach_version_pdf(demo_db, version.pk, make_pdf(tmp_path / "v1.pdf", 1, "Réponse"))
    add_attachment(demo_db, pk, make_pdf(tmp_path / "plan.pdf", 2, "Plan"), "plan.pdf")
    window = reply_window(converter=NoPdf())
    dialog = open_workshop(window, pk)
    dialog.assemble_button.click()
    assembling = dialog.assemble_dialog
    assert assembling.pages.count() == 1  # the reply alone, checked first
    plan = next(assembling.annexes.item(i) for i in range(assembling.annexes.count())
                if assembling.annexes.item(i).text() == "plan.pdf")
    plan.setCheckState(Qt.CheckState.Checked)
    assert assembling.pages.count() == 3
    # What a drag of « plan p. 2 » in front of everything leaves in the list.
    moved = assembling.pages.takeItem(2)
    assembling.pages.insertItem(0, moved)
    ARTIFACTS.mkdir(exist_ok=True)
    assembling.grab().save(str(ARTIFACTS / "assemble-dialog.png"))
    assembling.ok.click()
    assert not assembling.isVisible()
    name, sha = demo_db.execute(
        "SELECT filename, sha256 FROM attachment WHERE request_pk = ? "
        "AND filename LIKE '%_reponse_et_annexes.pdf'", (pk,)).fetchone()
    from desktop.store.sync_store import blob_path

    texts = [p.get_text().strip() for p in pymupdf.open(blob_path(demo_db, sha))]
    assert texts == ["Plan page 2", "Réponse page 1", "Plan page 1"]


class CountingLibreOffice(LibreOfficeConverter):
    """The real LibreOffice, counting its conversions."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def convert(self, docx: Path, output_dir: Path, timeout: float = 120.0) -> Path:
        self.calls += 1
        return super().convert(docx, output_dir, timeout)


@needs_soffice
@pytest.mark.libreoffice
def test_reopening_the_workshop_shows_the_preview_without_converting_again(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
) -> None:
    converter = CountingLibreOffice()
    window, dialog, pk = drafted(reply_window, demo_db, templates_root, converter=converter)
    assert converter.calls == 1
    dialog.stop_watching()
    dialog.close()
    del window.replies.drafts[pk]
    again = open_workshop(window, pk)
    assert again.viewer.page_count == 1 and converter.calls == 1
    assert again.versions.count() == 1


def test_an_earlier_version_becomes_the_draft_again(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
    qtbot,
) -> None:
    opener = Opener()
    _window, dialog, _pk = drafted(reply_window, demo_db, templates_root, converter=NoPdf(),
                                   opener=opener)
    first = dialog.draft.read_bytes()
    with qtbot.waitSignal(dialog.versionAdded, timeout=10_000):
        save_like_word(dialog.draft, "Une phrase de trop.")
    assert dialog.versions.count() == 2 and not dialog.reopen_button.isEnabled()
    dialog.versions.setCurrentRow(1)  # version 1
    assert dialog.reopen_button.isEnabled()
    with qtbot.waitSignal(dialog.versionAdded, timeout=10_000) as added:
        dialog.reopen_button.click()
    assert dialog.draft.read_bytes() == first
    assert added.args[0].number == 3  # the later version stays in the list
    assert opener.urls[-1] == str(dialog.draft)  # reopened in Word


def test_the_elu_reads_the_annexes_too(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    pk, pdf = drafting_with_pdf(demo_db, tmp_path)
    annex = add_attachment(demo_db, pk, make_pdf(tmp_path / "plan.pdf", 3, "Plan"), "plan.pdf")
    send_to_parapheur(demo_db, pk, main_attachment_id=pdf, annex_ids=[annex],
                      steps=[(StepKind.SIGNATURE, agent_id(demo_db, "mschmitt"))],
                      agent_id=None, at=NOON)
    demo_db.execute("UPDATE setting SET value = ? WHERE key = 'current_agent'",
                    (agent_id(demo_db, "mschmitt"),))
    window = reply_window(converter=NoPdf())
    desk = window.official_desk
    main = demo_db.execute("SELECT filename FROM attachment WHERE id = ?", (pdf,)).fetchone()[0]
    assert [desk.document.itemText(i) for i in range(desk.document.count())] == [
        f"À signer : {main}", "Annexe : plan.pdf"]
    assert desk.viewer.page_count == 2
    desk.document.setCurrentIndex(1)
    assert desk.viewer.page_count == 3
    desk.document.setCurrentIndex(0)
    assert desk.decide("sign")
    assert window.statusBar().currentMessage().startswith("Dossier signé")


# --------------------------------------------------------------------------- integration checks


def test_the_parapheur_refuses_a_pdf_still_showing_a_provisional_number(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    """Drafted offline under « P-2026-0042 », numbered by the server since: the PDF would reach
    the maire (then the citizen) with the provisional number. Refused, nothing queued."""
    pk = a_request(demo_db)
    demo_db.execute("UPDATE request SET status = 'drafting' WHERE pk = ?", (pk,))
    number = demo_db.execute("SELECT number FROM request WHERE pk = ?", (pk,)).fetchone()[0]
    add_attachment(demo_db, pk, make_pdf(tmp_path / "r.pdf", 1, "Demande n° P-2026-0042"),
                   f"{number}_reponse_v1.pdf")
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.findChild(QAction, "action-send-parapheur").trigger()
    dialog = window.replies.dialog
    dialog.send.click()
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "P-2026-0042" in dialog.error.text() and number in dialog.error.text()
    assert request_folder(demo_db, pk) is None


def test_the_workshop_says_why_the_communes_acknowledgement_is_not_used(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
) -> None:
    """The commune's acknowledgement lost its appeal routes (R112-5): the library keeps the
    shipped one and the workshop says so, with the missing mention."""
    from desktop.documents import default_template_dir
    from tests.unit.test_reply_documents import without_paragraphs

    pk = a_request(demo_db)
    folder = commune_dir(demo_db, pk, templates_root)
    folder.mkdir(parents=True)
    without_paragraphs(default_template_dir() / "accuse_reception.docx",
                       folder / "accuse_reception.docx", "L232-3")
    window = reply_window(converter=NoPdf())
    dialog = open_workshop(window, pk)
    assert dialog.notice.isVisible()
    assert "modèle fourni" in dialog.notice.text() and "accusé" in dialog.notice.text()


def test_the_acknowledgement_message_carries_the_librarys_notice(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, templates_root: Path,
) -> None:
    """Produced from the shipped template because the commune's dropped a legal mention: the
    secrétaire reads why in the result, not only in a log."""
    from desktop.app import fill_demo_letterheads
    from desktop.documents import default_template_dir
    from desktop.services.letters import RequestAction
    from tests.unit.test_reply_documents import without_paragraphs

    fill_demo_letterheads(demo_db)
    pk = 499  # SVA, received: its acknowledgement is due (tests/gui/test_legal_actions.py)
    folder = commune_dir(demo_db, pk, templates_root)
    folder.mkdir(parents=True)
    without_paragraphs(default_template_dir() / "accuse_reception.docx",
                       folder / "accuse_reception.docx", "L232-3")
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.request_actions.trigger(RequestAction.ACKNOWLEDGEMENT)
    box = window.request_actions.message
    assert isinstance(box, QMessageBox)
    assert "modèle fourni" in box.text() and "L232-3" in box.text()


def test_reply_dates_are_typed_in_french_and_checked(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection, tmp_path: Path,
) -> None:
    """The wished date is the app's French field: « 4/12 » is the 4th of December of the
    suite's year; a day already gone keeps the dialog open with the field's reason."""
    pk, _pdf = drafting_with_pdf(demo_db, tmp_path)
    window = reply_window(converter=NoPdf())
    window.select_request(pk)
    window.findChild(QAction, "action-send-parapheur").trigger()
    dialog = window.replies.dialog
    dialog.wished.setChecked(True)
    dialog.wished_date.edit.setText("20/11")
    dialog.send.click()
    assert dialog.isVisible() and "déjà passée" in dialog.error.text()
    dialog.wished_date.edit.setText("4/12")
    assert "4 décembre 2026" in dialog.wished_date.message.text()
    dialog.send.click()
    assert not dialog.isVisible()
    folder = request_folder(demo_db, pk)
    assert folder is not None and folder.wished_date == date(2026, 12, 4)


@needs_soffice
@pytest.mark.libreoffice
def test_opening_the_workshop_starts_libreoffice_for_a_warm_first_pdf(
    reply_window: Callable[..., MainWindow], demo_db: sqlite3.Connection,
) -> None:
    """LibreOffice starts while the secrétaire picks her template: the first preview does not
    wait the seconds of a cold start."""
    from desktop.documents.warm import WarmLibreOffice

    warm = WarmLibreOffice()
    if not warm.available():
        pytest.skip("LibreOffice's Python (UNO) absent: no warm converter here")
    try:
        window = reply_window(converter=warm)
        assert warm.office_pid() is None
        open_workshop(window, a_request(demo_db))
        assert warm.office_pid() is not None and warm.started == 1
    finally:
        warm.close()
