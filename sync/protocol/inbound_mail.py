"""One reading of an incoming e-mail, shared by every door that takes mail in.

The central API reads the commune's mailbox over IMAP, the desktop takes a ``.eml`` or Outlook
``.msg`` file dropped on the bannette, and ``python -m desktop import-mail`` reads files given on
the command line: all three must turn the same message into the same request. This module only
*reads* a message (stdlib ``email`` with ``email.policy.default``; ``extract-msg`` for ``.msg``);
it decides nothing about the attachments: callers check each one with
:func:`sync.protocol.files.attachment_problem` (content sniffing, the same French reasons at
every door) and apply their own count limit.

Mail comes from anybody, so reading it never trusts it: the whole message is bounded in size,
its parts in number and depth, an HTML-only body is turned into text by a bounded, linear pass
(an HTML bomb cannot hang the poller or fill its memory), a header in an unknown or lying charset
is decoded with replacement characters instead of raising, and the text body is cut at the
protocol's long-text bound with a French note saying so. What cannot be read at all raises
:class:`InboundMailError` with a French sentence for the user.
"""

from __future__ import annotations

import contextlib
import email
import email.header
import email.policy
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import PurePath
from typing import Any

from sync.protocol.bounds import FIRST_LEGAL_YEAR, LAST_LEGAL_YEAR, MAX_LONG_TEXT

#: Largest message read, raw (base64 included). Mail providers cap a message at 25 to 35 MB of
#: attachments; once base64-encoded that is about 40 MB. Beyond, the message is refused whole
#: (it stays in the mailbox / on disk: nothing is lost).
MAX_MAIL_BYTES = 40 * 1024 * 1024
#: MIME parts walked in one message; a real mail has a handful, a hostile one thousands.
MAX_MAIL_PARTS = 500
#: Nesting of multiparts (and forwarded messages) followed.
MAX_MAIL_DEPTH = 16
#: HTML read to make the text of an HTML-only mail: far more than any real letter (a heavy
#: newsletter is 200 KB), and the bound that keeps the worst HTML bomb under about half a
#: second (bench/mail_intake.py).
MAX_HTML_CHARS = 1024 * 1024
#: Longest subject kept (the request's subject is at most 200 characters on the wire).
MAX_SUBJECT_CHARS = 200
#: Longest attachment name kept (extension preserved).
MAX_NAME_CHARS = 120
#: Ids kept from In-Reply-To + References (a long thread lists dozens; a hostile one, thousands).
MAX_REFERENCES = 50
#: A Message-ID longer than this is not one (RFC 5322 lines are at most 998 characters).
MAX_MESSAGE_ID_CHARS = 500

NO_SUBJECT = "(sans objet)"

#: The first bytes of an OLE2 compound file: what an Outlook ``.msg`` starts with.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class InboundMailError(ValueError):
    """French message for the user."""


@dataclass(frozen=True)
class InboundAttachment:
    name: str  # decoded, sanitised file name ("piece-jointe-N" when none)
    content: bytes
    declared_type: str  # the MIME type the mail claims


@dataclass(frozen=True)
class InboundMail:
    message_id: str  # the Message-ID without <>, or "sha256:<hex of the raw bytes>" when absent
    sender_email: str | None  # None when no usable From
    sender_name: str  # display name, "" when none
    subject: str  # decoded; broken charsets replaced, never an exception; "(sans objet)" if empty
    text: str  # the plain-text body; from the HTML part when HTML-only (bounded)
    received_at: datetime | None  # Date header as aware UTC, None when absent/unreadable
    references: tuple[str, ...]  # In-Reply-To + References ids (without <>), for threading
    attachments: tuple[InboundAttachment, ...]
    #: Written by a machine (auto-reply, bounce, mailing list): never answered automatically,
    #: or two robots would answer each other forever (RFC 3834).
    auto_submitted: bool = False


# ---------------------------------------------------------------------------------------------
# Text helpers shared by .eml and .msg


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_ANGLE_ID = re.compile(r"<([^<>\s]{1,500})>")
_ADDRESS = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[^@\s<>()\[\]\\,;:\"]+\.[^@\s<>()\[\]\\,;:\"]+$")
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
_WINDOWS_RESERVED = {
    "con", "prn", "aux", "nul",
    *(f"com{i}" for i in range(1, 10)),
    *(f"lpt{i}" for i in range(1, 10)),
}  # fmt: skip


def _bytes_to_text(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset; a missing, unknown or lying one falls back to UTF-8,
    then to Windows-1252 (what French mail mislabelled in practice is), never raising."""
    for candidate in (charset, "utf-8"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("cp1252", errors="replace")


def _repair(text: str) -> str:
    """A header value as the ``email`` package gives it may carry surrogate escapes (bytes it
    could not decode): turn them back into bytes and decode them as well as possible."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        raw = text.encode("utf-8", errors="surrogateescape")
        text = _bytes_to_text(raw, None)
    return text.encode("utf-8", errors="replace").decode("utf-8")


def _one_line(text: str, limit: int) -> str:
    """A header for display: one line, no control characters, at most ``limit`` characters."""
    text = _SPACES.sub(" ", _CONTROL.sub(" ", _repair(text))).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text


def decode_header_text(raw: str) -> str:
    """An RFC 2047 header (``=?charset?Q?…?=``) decoded chunk by chunk, each in its own
    charset with fallbacks: a broken or unknown charset gives replacement characters, never an
    exception."""
    try:
        chunks = email.header.decode_header(raw)
    except Exception:  # noqa: BLE001 — a malformed header is shown as it came
        return raw
    parts: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(_bytes_to_text(chunk, charset))
        else:
            parts.append(chunk)
    return "".join(parts)


def bound_text(text: str) -> str:
    """The body as the protocol may store it: newlines normalised, no NUL or control
    characters, and at most the long-text bound, with a French note when it was cut."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).encode("utf-8", errors="replace").decode("utf-8")
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) <= MAX_LONG_TEXT:
        return text
    note = (
        f"\n\n[Texte tronqué : seuls ses {MAX_LONG_TEXT:,} premiers caractères sont repris "
        "ici ; le courriel complet reste dans la boîte de la mairie.]"
    ).replace(",", "\u202f")
    return text[: MAX_LONG_TEXT - len(note)].rstrip() + note


#: Elements whose content is never text for the reader; an unclosed one runs to the end. The
#: lookahead makes every ``<`` that starts no such element fail at once (``<<<<`` is linear).
_HIDDEN = re.compile(
    r"<(?=[!a-zA-Z])(?:(script|style|head|title|template|noscript|svg)\b[^<>]*>.*?"
    r"(?:</\1\s*>|\Z)|!--.*?(?:-->|\Z))",
    re.IGNORECASE | re.DOTALL,
)
#: Tags that end a line, cells that end a word, then any other tag. Each starts with ``<`` and a
#: letter (the lookahead fails at once elsewhere) and stops at the next ``<`` or ``>``, so no
#: input makes them backtrack, and ``a < b`` stays text.
_BLOCK = re.compile(
    r"<(?=/?[a-zA-Z])/?(?:p|div|br|li|tr|h[1-6]|blockquote|pre|table|ul|ol|section|article"
    r"|header|footer|hr)\b[^<>]*>",
    re.IGNORECASE,
)
_CELL = re.compile(r"<(?=/?[tT])/?t[dh]\b[^<>]*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*(?:\n[ \t\r\f\v]*)+")
_LINE_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


def html_to_text(markup: str) -> str:
    """The readable text of an HTML body. A few regular-expression passes, each linear (no
    backtracking across the input), on at most ``MAX_HTML_CHARS`` characters: an HTML bomb
    costs a fraction of a second, and what was not read is said."""
    head = markup[:MAX_HTML_CHARS]
    if len(markup) > MAX_HTML_CHARS and head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]  # not half a tag, which would read as text
    text = _HIDDEN.sub(" ", head)
    text = _CELL.sub(" ", _BLOCK.sub("\n", text))
    text = html.unescape(_TAG.sub("", text))  # never longer than its input
    text = _LINE_SPACES.sub(" ", text.replace("\r", ""))
    text = _BLANK_LINES.sub("\n\n", text)
    text = "\n".join(line.strip() for line in text.split("\n")).strip()
    text = text[: 2 * MAX_LONG_TEXT]  # more is cut anyway, with its note, by ``bound_text``
    if len(markup) > MAX_HTML_CHARS:
        text += (
            "\n\n[Courriel HTML trop long : seul son premier million de caractères a été lu ; "
            "le courriel complet reste dans la boîte de la mairie.]"
        )
    return text


def sanitise_name(name: str | None, index: int) -> str:
    """A file name safe on Windows and in a path: no directory, no forbidden character, no
    reserved device name, bounded length (extension kept); ``piece-jointe-N`` when empty."""
    if name:
        name = _repair(name).replace("\\", "/").rsplit("/", 1)[-1]
        name = _WINDOWS_FORBIDDEN.sub("_", name).strip()
        name = name.lstrip(".")
        if len(name) > MAX_NAME_CHARS:
            path = PurePath(name)
            suffix = path.suffix[:16]
            name = name[: MAX_NAME_CHARS - len(suffix)].rstrip() + suffix
        if PurePath(name).stem.lower().rstrip(" .") in _WINDOWS_RESERVED:
            name = "_" + name
    return name or f"piece-jointe-{index}"


def _message_id(value: str | None, raw: bytes) -> str:
    if value:
        text = _repair(str(value)).strip()
        match = _ANGLE_ID.search(text)
        ident = match.group(1) if match else text.strip("<> \t")
        ident = _CONTROL.sub("", ident)
        if ident and len(ident) <= MAX_MESSAGE_ID_CHARS and not _SPACES.search(ident):
            return ident
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _references(*values: str | None) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        if not value:
            continue
        text = _repair(str(value))
        ids = _ANGLE_ID.findall(text) or text.split()
        for ident in ids:
            ident = ident.strip("<> \t")
            if ident and ident not in found and len(ident) <= MAX_MESSAGE_ID_CHARS:
                found.append(ident)
    return tuple(found[-MAX_REFERENCES:])


def _sender(raw_from: str | None) -> tuple[str | None, str]:
    """(address, display name) of a From header; the address is None when unusable."""
    if not raw_from:
        return None, ""
    pairs = email.utils.getaddresses([raw_from])
    name, address = pairs[0] if pairs else ("", "")
    name = _one_line(decode_header_text(name), MAX_SUBJECT_CHARS) if name else ""
    address = _repair(address).strip().lower()
    if not _ADDRESS.match(address) or len(address) > 254:
        return None, name
    if name.lower() == address:
        name = ""
    return address, name


def _received_at(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = email.utils.parsedate_to_datetime(_repair(str(value)).strip())
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if moment.tzinfo is None:  # RFC 5322 "-0000": no zone known; UTC is the honest reading
        moment = moment.replace(tzinfo=UTC)
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    if not FIRST_LEGAL_YEAR <= moment.year <= LAST_LEGAL_YEAR:
        return None
    return moment


def _check_size(raw: bytes, what: str) -> None:
    if not raw:
        raise InboundMailError(f"Le {what} est vide.")
    if len(raw) > MAX_MAIL_BYTES:
        raise InboundMailError(
            f"Le {what} est trop volumineux ({len(raw) // (1024 * 1024)} Mo ; au plus "
            f"{MAX_MAIL_BYTES // (1024 * 1024)} Mo)."
        )


# ---------------------------------------------------------------------------------------------
# .eml

#: Senders that are machines whatever their headers say.
_ROBOT_SENDERS = re.compile(
    r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|ne-?pas-?repondre)([+@._-]|$)", re.I
)


def _is_auto_submitted(message: Message, sender: str | None) -> bool:
    """RFC 3834 and the usual signs of a robot: Auto-Submitted other than ``no``, a bulk or
    list Precedence, a mailing list, an empty Return-Path (a bounce), an auto-reply header."""
    auto = (_raw_header(message, "Auto-Submitted") or "no").strip().lower()
    precedence = (_raw_header(message, "Precedence") or "").strip().lower()
    return_path = _raw_header(message, "Return-Path")
    return (
        not auto.startswith("no")
        or precedence in ("bulk", "junk", "list", "auto_reply")
        or _raw_header(message, "List-Id") is not None
        or (return_path is not None and return_path.strip() == "<>")
        or any(
            _raw_header(message, name) is not None
            for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")
        )
        or (sender is not None and _ROBOT_SENDERS.match(sender) is not None)
    )


def _raw_header(message: Message, name: str) -> str | None:
    """The header as it came (before the policy decodes it): our own decoding never raises."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _bytes_to_text(payload, part.get_content_charset())


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() == "text" and part.get_content_subtype() in ("plain", "html"):
        return _filename(part) is not None
    return True


def _filename(part: Message) -> str | None:
    for getter in (
        lambda: part.get_param("filename", header="content-disposition"),
        lambda: part.get_param("name", header="content-type"),
    ):
        try:
            value = getter()
        except Exception:  # noqa: BLE001 — a malformed parameter is a missing name
            continue
        if value is None:
            continue
        if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
            value = email.utils.collapse_rfc2231_value(value, errors="replace")
        text = decode_header_text(str(value))
        if text.strip():
            return text
    return None


def _attachment_content(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        if isinstance(inner, list) and inner:
            inner = inner[0]
        if isinstance(inner, Message):
            return inner.as_bytes(policy=email.policy.default.clone(linesep="\r\n"))
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def parse_eml(raw: bytes) -> InboundMail:
    """An RFC 5322 message (an IMAP fetch, a ``.eml`` file) read for intake."""
    _check_size(raw, "courriel")
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except RecursionError as exc:
        raise InboundMailError("Le courriel est trop imbriqué pour être lu.") from exc
    except Exception as exc:  # noqa: BLE001 — the stdlib parser is lenient; this is rare
        raise InboundMailError("Le courriel est illisible.") from exc
    if not message.keys():
        raise InboundMailError("Le fichier n'est pas un courriel : il n'a aucun en-tête.")

    plain: list[str] = []
    markup: list[str] = []
    attachments: list[InboundAttachment] = []
    stack: list[tuple[Message, int]] = [(message, 0)]
    seen = 0
    while stack:
        part, depth = stack.pop()
        seen += 1
        if seen > MAX_MAIL_PARTS:
            raise InboundMailError(
                f"Le courriel compte plus de {MAX_MAIL_PARTS} parties : il n'est pas lu."
            )
        if part.is_multipart() and part.get_content_type() != "message/rfc822":
            if depth >= MAX_MAIL_DEPTH:
                raise InboundMailError("Le courriel est trop imbriqué pour être lu.")
            children = part.get_payload()
            if isinstance(children, list):
                # Reversed onto the stack: parts are visited in the order of the message.
                stack.extend(
                    (child, depth + 1) for child in reversed(children) if isinstance(child, Message)
                )
            continue
        if (part is message and part.get_content_maintype() != "text") or (
            part is not message and _is_attachment(part)
        ):
            name = sanitise_name(_filename(part), len(attachments) + 1)
            if part.get_content_type() == "message/rfc822" and "." not in name:
                name += ".eml"
            attachments.append(
                InboundAttachment(name, _attachment_content(part), part.get_content_type())
            )
        elif part.get_content_subtype() == "html":
            markup.append(_part_text(part))
        else:
            plain.append(_part_text(part))

    body = "\n\n".join(text for text in plain if text.strip())
    if not body.strip() and markup:
        body = "\n\n".join(html_to_text(text) for text in markup)
    sender_email, sender_name = _sender(_raw_header(message, "From"))
    subject = _one_line(
        decode_header_text(_raw_header(message, "Subject") or ""), MAX_SUBJECT_CHARS
    )
    return InboundMail(
        message_id=_message_id(_raw_header(message, "Message-ID"), raw),
        sender_email=sender_email,
        sender_name=sender_name,
        subject=subject or NO_SUBJECT,
        text=bound_text(body),
        received_at=_received_at(_raw_header(message, "Date")),
        references=_references(
            _raw_header(message, "In-Reply-To"), _raw_header(message, "References")
        ),
        attachments=tuple(attachments),
        auto_submitted=_is_auto_submitted(message, sender_email),
    )


# ---------------------------------------------------------------------------------------------
# .msg (Outlook)


def _text_attr(msg: Any, name: str) -> str:
    try:
        value = getattr(msg, name)
    except Exception:  # noqa: BLE001 — extract-msg raises many kinds on a damaged property
        return ""
    if value is None:
        return ""
    if isinstance(value, bytes):
        return _bytes_to_text(value, None)
    return str(value)


def parse_msg(raw: bytes) -> InboundMail:
    """An Outlook ``.msg`` file read for intake, through the ``extract-msg`` library."""
    _check_size(raw, "fichier Outlook")
    try:
        import extract_msg  # imported here: only this door needs it
        from extract_msg.msg_classes import MessageBase
    except ImportError as exc:  # pragma: no cover - the dependency is declared
        raise InboundMailError(
            "La lecture des fichiers Outlook (.msg) n'est pas installée sur ce poste."
        ) from exc
    try:
        msg = extract_msg.openMsg(raw, delayAttachments=False)
    except Exception as exc:  # noqa: BLE001 — any failure means the file cannot be read
        raise InboundMailError(
            "Le fichier Outlook (.msg) est illisible ou n'est pas un message."
        ) from exc
    try:
        if not isinstance(msg, MessageBase):  # a plain or a signed message
            raise InboundMailError(
                "Le fichier Outlook (.msg) n'est pas un message (rendez-vous, contact…)."
            )
        header = None
        try:
            header = msg.header
        except Exception:  # noqa: BLE001
            header = None

        def from_header(name: str) -> str | None:
            if header is None:
                return None
            value = header.get(name)
            return None if value is None else str(value)

        body = _text_attr(msg, "body")
        if not body.strip():
            body = html_to_text(_text_attr(msg, "htmlBody"))
        attachments: list[InboundAttachment] = []
        for attachment in list(msg.attachments)[:MAX_MAIL_PARTS]:
            data = getattr(attachment, "data", None)
            if isinstance(data, extract_msg.MSGFile):  # an attached message
                try:
                    data = data.exportBytes()
                except Exception:  # noqa: BLE001
                    data = b""
            if not isinstance(data, bytes):
                data = b""
            name = _text_attr(attachment, "longFilename") or _text_attr(attachment, "shortFilename")
            declared = _text_attr(attachment, "mimetype") or "application/octet-stream"
            attachments.append(
                InboundAttachment(sanitise_name(name, len(attachments) + 1), data, declared)
            )
        sender_email, sender_name = _sender(from_header("From") or _text_attr(msg, "sender"))
        if sender_email is None:  # no transport headers: the sender's own properties
            for stream in ("__substg1.0_5D01", "__substg1.0_0C1F", "__substg1.0_0065"):
                try:
                    found = msg.getStringStream(stream)
                except Exception:  # noqa: BLE001
                    found = None
                address, _ = _sender(f"<{found}>" if found else None)
                if address is not None:
                    sender_email = address
                    break
        if not sender_name:
            with contextlib.suppress(Exception):
                sender_name = _one_line(msg.getStringStream("__substg1.0_0C1A") or "", 200)
            if sender_name.lower() == (sender_email or ""):
                sender_name = ""
        try:
            date: Any = msg.date
        except Exception:  # noqa: BLE001
            date = None
        return InboundMail(
            message_id=_message_id(_text_attr(msg, "messageId") or from_header("Message-ID"), raw),
            sender_email=sender_email,
            sender_name=sender_name,
            subject=_one_line(_text_attr(msg, "subject"), MAX_SUBJECT_CHARS) or NO_SUBJECT,
            text=bound_text(body),
            received_at=_received_at(date if date is not None else from_header("Date")),
            references=_references(
                _text_attr(msg, "inReplyTo") or from_header("In-Reply-To"),
                from_header("References"),
            ),
            attachments=tuple(attachments),
        )
    except InboundMailError:
        raise
    except Exception as exc:  # noqa: BLE001 — a damaged part: the file as a whole is refused
        raise InboundMailError(
            "Le fichier Outlook (.msg) est endommagé : il n'a pas pu être lu entièrement."
        ) from exc
    finally:
        with contextlib.suppress(Exception):
            msg.close()


# ---------------------------------------------------------------------------------------------
# Either


def parse_mail_file(name: str, raw: bytes) -> InboundMail:
    """A mail file dropped or named on a command line: Outlook by its content (OLE2 header)
    whatever its extension, otherwise RFC 5322; the French error names the file."""
    label = PurePath(name).name or name
    suffix = PurePath(name).suffix.lower()
    try:
        if raw.startswith(OLE_MAGIC):
            return parse_msg(raw)
        if suffix == ".msg":
            raise InboundMailError("Le fichier n'est pas un message Outlook (.msg) lisible.")
        if suffix not in ("", ".eml", ".txt", ".mht", ".mhtml") and not _looks_like_mail(raw):
            raise InboundMailError("Le fichier n'est pas un courriel (.eml ou .msg attendu).")
        if not _looks_like_mail(raw):
            raise InboundMailError("Le fichier n'est pas un courriel lisible (.eml ou .msg).")
        return parse_eml(raw)
    except InboundMailError as exc:
        raise InboundMailError(f"« {label} » : {exc}") from exc


_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:", re.MULTILINE)
_KNOWN_HEADERS = (b"from:", b"to:", b"subject:", b"date:", b"message-id:", b"received:",
                  b"mime-version:", b"return-path:", b"delivered-to:")  # fmt: skip


def _looks_like_mail(raw: bytes) -> bool:
    """An RFC 5322 message starts with header lines, at least one of the usual ones."""
    head = raw[:16384].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    if not head or not _HEADER_LINE.match(head):
        return False
    lowered = head.lower()
    return any(lowered.startswith(h) or b"\n" + h in lowered for h in _KNOWN_HEADERS)
