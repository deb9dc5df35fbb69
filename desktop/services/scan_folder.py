"""The « dossier de numérisation »: the folder where the copier drops its scans.

Qt-free. :func:`scan` looks at the folder once and says which files are complete; the watcher
(``desktop.services.scan_watcher``) calls it off the GUI thread whenever the folder changes and
every few seconds (a network share does not always say it changed).

A copier writes a scan slowly, sometimes over a minute, and may hold it locked meanwhile; a
file is listed only once it is complete: the same size and modification time at two looks in
a row, not empty, openable, and ending as a whole PDF, JPEG or PNG ends (a copier that pauses
mid-file leaves a stable but unfinished file). Until then it waits, silently. A file that
stays unreadable (locked for good, no permission, never finished) is listed with a French
sentence after a few looks, so the secrétaire knows why it never comes.

Classified files move to the « classés » subfolder (never deleted): the copier's folder holds
only what is still to do, and a file classified before a restart never comes back. The folder
is set per PC (the ``setting`` table of the local database): each PC has its copier share.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from desktop.store.database import StoreError

SETTING_KEY = "scan_folder"
#: Where classified files go, inside the scan folder.
CLASSIFIED = "classés"
#: Looks in a row a stable file may stay unopenable before it is reported as unreadable.
UNREADABLE_AFTER = 3
#: Names a copier or an OS writes while working, or leaves beside: never listed.
_TEMPORARY_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".lock")
_HIDDEN_NAMES = ("thumbs.db", "desktop.ini")


@dataclass(frozen=True)
class Look:
    """What one look saw of a file."""

    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanFile:
    """A complete file of the scan folder."""

    path: Path
    size: int
    mtime_ns: int
    #: « pdf », « image » (JPG, PNG: attachable as is), « tiff » (to join into a PDF), or None.
    kind: str | None
    #: Why it cannot be attached as it is (wrong type, too large); None when it can.
    problem: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Unreadable:
    path: Path
    reason: str


@dataclass(frozen=True)
class ScanState:
    """What the previous look saw; given to the next one (immutable: it crosses threads)."""

    looks: dict[str, Look] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ScanResult:
    ready: list[ScanFile]
    #: Files still being written (or just seen once): not listed yet.
    waiting: list[str]
    unreadable: list[Unreadable]
    state: ScanState
    #: The folder itself is missing or unreadable: why, in French.
    problem: str | None = None


# --- the setting -------------------------------------------------------------------------------
def scan_folder_setting(conn: sqlite3.Connection) -> Path | None:
    row = conn.execute("SELECT value FROM setting WHERE key = ?", (SETTING_KEY,)).fetchone()
    return Path(row[0]) if row and row[0] else None


def set_scan_folder(conn: sqlite3.Connection, folder: Path | None) -> None:
    """Remembers this PC's scan folder (None: none). The folder must exist and be readable."""
    if folder is None:
        conn.execute("DELETE FROM setting WHERE key = ?", (SETTING_KEY,))
        return
    if not folder.is_dir():
        raise StoreError(f"Le dossier « {folder} » n'existe pas ou n'est pas un dossier.")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise StoreError(f"Le dossier « {folder} » ne peut pas être lu depuis ce poste.")
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (SETTING_KEY, str(folder)),
    )


# --- looking at the folder ---------------------------------------------------------------------
def _listed(entry: os.DirEntry[str]) -> bool:
    name = entry.name.lower()
    return not (
        name.startswith((".", "~$")) or name.endswith(_TEMPORARY_SUFFIXES)
        or name in _HIDDEN_NAMES
    )


#: Bytes read at each end of a file: its type at the start, its end marker at the end.
HEAD_BYTES = 16
TAIL_BYTES = 1024


def read_ends(path: Path) -> tuple[bytes, bytes]:
    """The first and last bytes, opening the file as an attachment would: raises ``OSError``
    while the copier holds it (Windows refuses a locked file) or when it may not be read."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - TAIL_BYTES))
        return head, handle.read(TAIL_BYTES)


def finished(kind: str | None, tail: bytes) -> bool:
    """Whether the file ends as a whole file of its kind ends: a copier that pauses while
    writing leaves a PDF without « %%EOF », a JPEG without its end marker, a PNG without
    IEND. TIFF and unknown kinds have no such marker."""
    if kind == "pdf":
        return b"%%EOF" in tail
    if kind == "image":
        end = tail.rstrip(b"\x00\r\n ")
        return end.endswith(b"\xff\xd9") or b"IEND" in tail[-16:]
    return True


def kind_of(head: bytes) -> str | None:
    """« pdf », « image » (JPG, PNG), « tiff », by content; None for anything else."""
    from desktop.documents.join_images import image_kind

    if head.startswith(b"%PDF-"):
        return "pdf"
    kind = image_kind(head)
    return None if kind is None else "tiff" if kind == "tiff" else "image"


def _problem(kind: str | None, size: int) -> str | None:
    from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES

    if kind is None:
        return "ni un PDF ni une image (JPG, PNG, TIFF) : il ne peut pas être joint"
    if kind != "tiff" and size > MAX_ATTACHMENT_BYTES:  # a TIFF becomes a PDF first
        return "plus de 5 Mo : il ne peut pas être joint tel quel"
    return None


def scan(
    folder: Path, previous: ScanState,
    read: Callable[[Path], tuple[bytes, bytes]] = read_ends,
) -> ScanResult:
    """One look at ``folder`` (not its subfolders), given the previous look.

    ``read`` opens a file and returns its first and last bytes (``read_ends``; replaced in
    tests to act a lock out where the OS would not)."""
    looks: dict[str, Look] = {}
    failures: dict[str, int] = {}
    ready: list[ScanFile] = []
    waiting: list[str] = []
    unreadable: list[Unreadable] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name.lower())
    except FileNotFoundError:
        return ScanResult([], [], [], ScanState(),
                          f"Le dossier de numérisation « {folder} » est introuvable.")
    except OSError as exc:
        return ScanResult([], [], [], ScanState(),
                          f"Le dossier de numérisation « {folder} » ne peut pas être lu "
                          f"({exc.strerror or exc}).")
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False) or not _listed(entry):
                continue
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue  # gone between the listing and the look
        path = Path(entry.path)
        look = Look(info.st_size, info.st_mtime_ns)
        looks[entry.name] = look
        if previous.looks.get(entry.name) != look or look.size == 0:
            waiting.append(entry.name)  # new, growing, or not yet written at all
            continue
        try:
            head, tail = read(path)
        except OSError as exc:
            problem = (f"« {entry.name} » ne peut pas être ouvert ({exc.strerror or exc}) : le "
                       "copieur ou un autre programme le garde peut-être, ou ce poste n'a pas le "
                       "droit de le lire.")
        else:
            kind = kind_of(head)
            if finished(kind, tail):
                ready.append(ScanFile(path, look.size, look.mtime_ns, kind,
                                      _problem(kind, look.size)))
                continue
            problem = (f"« {entry.name} » est incomplet (sa fin manque) : le copieur ne l'a "
                       "pas terminé, ou le fichier est abîmé. Numérisez-le à nouveau.")
        count = previous.failures.get(entry.name, 0) + 1  # stable, yet not usable
        failures[entry.name] = count
        if count >= UNREADABLE_AFTER:
            unreadable.append(Unreadable(path, problem))
        else:
            waiting.append(entry.name)
    return ScanResult(ready, waiting, unreadable, ScanState(looks, failures))


# --- classifying -------------------------------------------------------------------------------
def classify(path: Path) -> Path:
    """Moves a handled file to the « classés » subfolder beside it (a name already taken gets
    « (2) », « (3) »…); returns its new path. Raises ``StoreError`` in French."""
    target_dir = path.parent / CLASSIFIED
    try:
        target_dir.mkdir(exist_ok=True)
        target = target_dir / path.name
        n = 2
        while target.exists():
            target = target_dir / f"{path.stem} ({n}){path.suffix}"
            n += 1
        os.replace(path, target)
    except OSError as exc:
        raise StoreError(
            f"« {path.name} » a été traité mais n'a pas pu être rangé dans « {CLASSIFIED} » "
            f"({exc.strerror or exc}) : il reste dans la liste « À classer »."
        ) from exc
    return target
