"""Replies through a real LibreOffice: the warm converter, its faults, LibreOffice-saved
templates, and the command's ``--pdf``. PDF text is read back with PyMuPDF.

The warm converter needs a Python that can ``import uno`` (Debian: python3-uno).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import docx
import psutil
import pymupdf
import pytest

from desktop.documents import PdfConversionError
from desktop.documents.checks import check_template
from desktop.documents.mentions import document_text
from desktop.documents.pdf import find_soffice
from desktop.documents.replies import render_reply
from desktop.documents.samples import sample_context
from desktop.documents.warm import WarmLibreOffice, find_uno_python

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "resources" / "templates"
SOFFICE = find_soffice()
UNO = find_uno_python(SOFFICE) if SOFFICE else None

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(
        SOFFICE is None or UNO is None,
        reason=(
            "!!! LibreOffice (soffice) or python3-uno NOT FOUND: the warm PDF converter is NOT "
            "TESTED. Install: apt-get install -y --no-install-recommends "
            "libreoffice-writer-nogui python3-uno !!!"
        ),
    ),
]


def pdf_text(path: Path) -> str:
    with pymupdf.open(path) as document:
        return " ".join(" ".join(page.get_text() for page in document).split())


@pytest.fixture(scope="module")
def warm() -> WarmLibreOffice:
    converter = WarmLibreOffice()
    yield converter
    converter.close()


@pytest.fixture
def refusal(tmp_path: Path) -> Path:
    return render_reply(
        TEMPLATES / "reponse_refus_motive.docx", sample_context(), tmp_path / "refus.docx"
    )


def kill_office(warm: WarmLibreOffice) -> int:
    """kill -9 the real LibreOffice (soffice.bin, started by the soffice launcher)."""
    launcher = psutil.Process(warm.office_pid())
    processes = [launcher, *launcher.children(recursive=True)]
    real = next((p for p in processes if p.name().startswith("soffice.bin")), launcher)
    real.send_signal(signal.SIGKILL)
    real.wait(timeout=10)
    return real.pid


def test_warm_conversions_reuse_one_libreoffice(
    warm: WarmLibreOffice, refusal: Path, tmp_path: Path
) -> None:
    first = warm.convert(refusal, tmp_path / "pdf")
    pid = warm.office_pid()
    started = warm.started
    text = pdf_text(first)
    assert "Télérecours citoyens" in text and "tribunal administratif de Nancy" in text
    second = warm.convert(refusal, tmp_path / "pdf2")
    assert warm.office_pid() == pid and warm.started == started  # the same soffice
    assert pdf_text(second) == text
    assert not [p for p in (tmp_path / "pdf").iterdir() if p.name.startswith(".")]
    # Folders and names as a mairie writes them: accents, spaces, apostrophes.
    folder = tmp_path / "Réponses de l'été" / "Demande n° 2026-000123"
    folder.mkdir(parents=True)
    accented = folder / "refus motivé – Noël.docx"
    accented.write_bytes(refusal.read_bytes())
    assert pdf_text(warm.convert(accented, folder)) == text
    assert (folder / "refus motivé – Noël.pdf").is_file()


def test_a_killed_libreoffice_is_restarted(
    warm: WarmLibreOffice, refusal: Path, tmp_path: Path
) -> None:
    warm.convert(refusal, tmp_path)
    pid = warm.office_pid()
    assert pid is not None
    kill_office(warm)
    started = warm.started
    pdf = warm.convert(refusal, tmp_path / "apres")
    assert "Télérecours citoyens" in pdf_text(pdf)
    assert warm.started == started + 1 and warm.office_pid() not in (None, pid)


def test_killed_mid_conversion_then_the_next_one_works(
    warm: WarmLibreOffice, refusal: Path, tmp_path: Path
) -> None:
    warm.start()
    pid = warm.office_pid()
    outcome: dict[str, object] = {}

    def convert() -> None:
        try:
            outcome["pdf"] = warm.convert(refusal, tmp_path / "pendant")
        except PdfConversionError as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=convert)
    worker.start()
    time.sleep(0.05)
    kill_office(warm)
    worker.join(timeout=180)
    assert not worker.is_alive()
    # Either retried on a new LibreOffice (then a real PDF) or a clear French error.
    if "pdf" in outcome:
        assert "Télérecours citoyens" in pdf_text(outcome["pdf"])
    else:
        assert "LibreOffice" in str(outcome["error"])
    assert refusal.is_file()  # the .docx is kept
    assert "Télérecours citoyens" in pdf_text(warm.convert(refusal, tmp_path / "ensuite"))
    assert warm.office_pid() != pid


def test_a_hanging_conversion_is_killed_and_libreoffice_restarted(
    warm: WarmLibreOffice, refusal: Path, tmp_path: Path
) -> None:
    warm.start()
    pid = warm.office_pid()
    with pytest.raises(PdfConversionError, match="ne répond plus") as caught:
        warm.convert(refusal, tmp_path / "lent", timeout=0.001)
    assert "Le document Word est conservé" in str(caught.value)
    assert refusal.is_file()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not list((tmp_path / "lent").glob("*.pdf"))
    assert "Télérecours" in pdf_text(warm.convert(refusal, tmp_path / "ensuite"))


def test_template_saved_by_libreoffice_with_a_field_split_across_runs(tmp_path: Path) -> None:
    """A template edited in Word, then saved again by LibreOffice: the field's characters are
    formatted differently, so LibreOffice writes them in separate runs."""
    source = tmp_path / "source.docx"
    document = docx.Document()
    paragraph = document.add_paragraph("Dossier ")
    paragraph.add_run("{{ nu")
    paragraph.add_run("mero").bold = True
    paragraph.add_run(" }} reçu le {{ date_reception }}")
    document.save(str(source))
    saved_dir = tmp_path / "libreoffice"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation={(tmp_path / 'profil').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(saved_dir),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = saved_dir / "source.docx"
    runs = [run.text for run in docx.Document(str(saved)).paragraphs[0].runs]
    assert "{{ numero }}" not in "".join(runs[:1]) and any(r == "mero" for r in runs), runs
    assert "numero" in check_template(saved).fields
    out = render_reply(saved, sample_context(), tmp_path / "lettre.docx")
    assert "Dossier 2026-000123 reçu le 23 novembre 2026" in document_text(out)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop.documents", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
        check=False,
    )


def test_cli_render_with_pdf(tmp_path: Path, demo_db_path: Path) -> None:
    conn = sqlite3.connect(demo_db_path)
    number, insee = conn.execute(
        "SELECT r.number, a.insee_code FROM request r JOIN authority a ON a.pk = r.authority_pk "
        "WHERE r.deleted = 0 ORDER BY r.pk LIMIT 1"
    ).fetchone()
    conn.close()
    out = tmp_path / "sortie" / "refus.docx"
    args = ["--database", str(demo_db_path), "--request", f"{insee}-{number}", "-o", str(out)]
    template = str(TEMPLATES / "reponse_refus_motive.docx")
    done = run_cli("render", template, *args, "--pdf")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.parent.iterdir()) == ["refus.docx", "refus.pdf"]
    text = pdf_text(out.with_suffix(".pdf"))
    assert number in text and "Télérecours citoyens" in text

    # A conversion that fails (here: no time to finish): French message, nothing written.
    out2 = tmp_path / "echec" / "refus.docx"
    args[-1] = str(out2)
    done = run_cli("render", template, *args, "--pdf", "--timeout", "0.001")
    assert done.returncode == 1
    assert "conversion" in done.stderr and "PDF" in done.stderr
    assert not out2.exists() and not out2.with_suffix(".pdf").exists()
    assert list(out2.parent.iterdir()) == []


def alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_libreoffice_leaves_with_a_killed_application(tmp_path: Path, refusal: Path) -> None:
    """The application killed without cleaning up (no atexit): its soffice does not stay."""
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from desktop.documents.warm import WarmLibreOffice\n"
        "warm = WarmLibreOffice()\n"
        f"warm.convert(Path({str(refusal)!r}), Path({str(tmp_path / 'pdf')!r}))\n"
        "print(warm.office_pid(), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=300,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    launcher = psutil.Process(int(done.stdout.split()[0]))
    family = [launcher, *launcher.children(recursive=True)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = [p for p in family if alive(p)]
        if not running:
            break
        time.sleep(0.2)
    assert not running, [p.name() for p in running]
