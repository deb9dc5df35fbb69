"""What an attachment may be (seed CGU): PDF, JPG or PNG, recognised by their first bytes,
5 MB at most. Shared so the desktop refuses offline, with the same words, what the server
would refuse hours later."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES

#: Files one request may receive at once (public portal, e-mail intake): beyond, the extra
#: files are refused with the reason, never silently dropped.
MAX_FILES_PER_REQUEST = 10

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


#: What a file name promises; a name without extension promises nothing.
EXTENSIONS: dict[str, str] = {
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


def sniff(data: bytes) -> str | None:
    """The media type the content really has, or None when it is none of the allowed ones."""
    for magic, media_type in MAGIC:
        if data.startswith(magic):
            return media_type
    return None


def name_problem(filename: str, content_type: str) -> str | None:
    """The rule for a name, at every door (upload, ``attachment.link``, public portal): its
    extension, if any, is the one of its content. A trailing dot or space (``run.bat.``, which
    Windows reads as ``run.bat``) is refused, and so is a double extension that ends in
    anything else (``x.pdf.exe``)."""
    if filename != filename.rstrip(". "):
        return (f"Le nom du fichier « {filename} » ne doit pas se terminer par un point ou "
                "une espace.")
    suffix = PurePath(filename).suffix.lower()
    if suffix and EXTENSIONS.get(suffix) != content_type:
        return (
            f"Le contenu du fichier « {filename} » ne correspond pas à son extension "
            "(.pdf, .jpg ou .png attendue)."
        )
    return None


def head_problem(head: bytes, size: int, filename: str) -> str | None:
    """The content rule, from the first bytes and the size: lets a door check a file it
    streams to disk without holding it in memory."""
    if size > MAX_ATTACHMENT_BYTES:
        return f"Le fichier « {filename} » dépasse la taille maximale de 5 Mo."
    if not size:
        return f"Le fichier « {filename} » est vide."
    content_type = sniff(head)
    if content_type is None:
        return (
            f"Le fichier « {filename} » n'est pas un PDF, un JPG ou un PNG "
            "(son contenu a été vérifié, pas seulement son nom)."
        )
    return name_problem(filename, content_type)


def attachment_problem(data: bytes, filename: str) -> str | None:
    """None when the file may be attached; otherwise the reason, in French."""
    return head_problem(data[:16], len(data), filename)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: The commune's logo (« Administration › Commune »): printed a few centimetres wide in every
#: letterhead, so a small image is plenty; a bigger one would travel to every PC for nothing.
MAX_LOGO_BYTES = 1024 * 1024
LOGO_TYPES = ("image/png", "image/jpeg")
LOGO_TOO_LARGE = "Le logo dépasse la taille maximale de 1 Mo : choisissez une image plus légère."


def logo_problem(data: bytes, filename: str) -> str | None:
    """None when ``data`` may be the commune's logo: a PNG or JPEG recognised by its content
    (not its name), 1 MB at most; otherwise the reason, in French."""
    if len(data) > MAX_LOGO_BYTES:
        return LOGO_TOO_LARGE
    if not data:
        return f"Le fichier « {filename} » est vide."
    content_type = sniff(data[:16])
    if content_type not in LOGO_TYPES:
        return (f"Le fichier « {filename} » n'est pas une image PNG ou JPEG (son contenu a été "
                "vérifié, pas seulement son nom) : il ne peut pas servir de logo.")
    return name_problem(filename, content_type)
