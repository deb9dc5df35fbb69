"""The shared reading of incoming mail: real messages built with the ``email`` library, plus raw
fixtures for what no well-behaved library would write (broken charsets, no sender, bombs)."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from functools import partial

import pytest

from sync.protocol.bounds import MAX_LONG_TEXT
from sync.protocol.files import attachment_problem
from sync.protocol.inbound_mail import (
    MAX_MAIL_BYTES,
    MAX_MAIL_PARTS,
    NO_SUBJECT,
    OLE_MAGIC,
    InboundMailError,
    html_to_text,
    parse_eml,
    parse_mail_file,
    parse_msg,
    sanitise_name,
)
from tests.mail_samples import EXE, ZIP, build_mail, build_msg

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
#: The message the tests vary, field by field.
build = partial(build_mail, message_id="<abc.123@example.fr>")


def test_an_ordinary_mail_is_read_whole() -> None:
    mail = parse_eml(build(files=(("acte.pdf", PDF, "application/pdf"),)))
    assert mail.message_id == "abc.123@example.fr"
    assert mail.sender_email == "elodie.martin@example.fr"
    assert mail.sender_name == "Élodie Martin"
    assert mail.subject == "Demande d'acte de naissance"
    assert mail.text == "Bonjour,\nje souhaite une copie intégrale.\nCordialement"
    assert mail.received_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert mail.references == ()
    [attachment] = mail.attachments
    assert (attachment.name, attachment.content, attachment.declared_type) == (
        "acte.pdf",
        PDF,
        "application/pdf",
    )
    assert attachment_problem(attachment.content, attachment.name) is None


def test_the_date_is_moved_to_utc() -> None:
    raw = build(date=None).replace(b"To:", b"Date: Mon, 23 Nov 2026 10:30:00 +0100\r\nTo:", 1)
    assert parse_eml(raw).received_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, "pas une date", "Mon, 23 Nov 1850 10:30:00 +0100"])
def test_an_absent_or_unreadable_date_is_none(value: str | None) -> None:
    raw = build(date=None)
    if value is not None:
        raw = raw.replace(b"To:", f"Date: {value}\r\nTo:".encode(), 1)
    assert parse_eml(raw).received_at is None


def test_a_reply_carries_its_references() -> None:
    mail = parse_eml(build(in_reply_to="<sent.42@bannette.example>"))
    assert mail.references == ("sent.42@bannette.example", "older@x.fr")


def test_no_sender() -> None:
    mail = parse_eml(build(sender=None))
    assert mail.sender_email is None
    assert mail.sender_name == ""
    assert mail.subject == "Demande d'acte de naissance"


@pytest.mark.parametrize("value", ["", "Jean Dupont", "<>", "undisclosed-recipients:;", "@@"])
def test_an_unusable_sender_is_none(value: str) -> None:
    raw = build(sender=None).replace(b"To:", f"From: {value}\r\nTo:".encode(), 1)
    mail = parse_eml(raw)
    assert mail.sender_email is None


def test_a_broken_charset_in_the_subject_never_raises() -> None:
    raw = (
        b"From: =?x-unknown?Q?Jos=E9?= <jose@example.fr>\r\n"
        b"Subject: =?x-broken-charset?Q?caf=E9_cr=E8me?= =?utf-8?B?w6k=?= =?utf-8?Q?=FF=FE?=\r\n"
        b"Message-ID: <broken@example.fr>\r\n"
        b"Content-Type: text/plain; charset=x-nonsense\r\n\r\n"
        b"Caf\xe9 cr\xe8me.\r\n"
    )
    mail = parse_eml(raw)
    assert mail.subject.startswith("café crème")
    assert not any("\udc80" <= ch <= "\udcff" for ch in mail.subject + mail.sender_name)
    assert mail.sender_name == "José"
    assert mail.text == "Café crème."
    mail.subject.encode("utf-8")  # no lone surrogate left


def test_an_empty_subject_is_named() -> None:
    assert parse_eml(build(subject="   ")).subject == NO_SUBJECT


def test_a_long_subject_is_cut_on_one_line() -> None:
    subject = parse_eml(build(subject="Objet " * 100)).subject
    assert len(subject) == 200 and subject.endswith("…") and "\n" not in subject


def test_an_html_only_mail_gives_its_text() -> None:
    markup = (
        "<html><head><title>Titre</title><style>p{color:red}</style></head><body>"
        "<script>alert('x')</script><p>Bonjour&nbsp;madame,</p><div>Ma demande "
        "concerne l&#39;&eacute;tat civil.</div><ul><li>un</li><li>deux</li></ul></body></html>"
    )
    mail = parse_eml(build(text=None, html=markup))
    assert "alert" not in mail.text and "color" not in mail.text and "Titre" not in mail.text
    assert "Bonjour madame," in mail.text
    assert "Ma demande concerne l'état civil." in mail.text
    assert "un\n" in mail.text and "deux" in mail.text


def test_the_plain_part_wins_over_the_html_alternative() -> None:
    mail = parse_eml(build(text="Texte brut.", html="<p>Texte <b>riche</b></p>"))
    assert mail.text == "Texte brut."


def test_an_html_bomb_is_read_bounded() -> None:
    # 8 MB of nested tags and entities, and an unclosed script: the reader takes a bounded
    # slice, keeps at most the long-text bound, and says so.
    bomb = "<div>" * 100_000 + "&eacute;x " * 300_000 + "<script>" + "a" * 1_000_000
    mail = parse_eml(build(text=None, html=bomb))
    assert len(mail.text) <= MAX_LONG_TEXT
    assert mail.text.startswith("éx éx") and "Texte tronqué" in mail.text
    assert len(html_to_text(bomb)) <= 2 * MAX_LONG_TEXT + 300
    # Only tags: nothing readable, and the text says the HTML was cut rather than being empty.
    tags_only = parse_eml(build(text=None, html="<div>" * 1_000_000))
    assert tags_only.text.startswith("[Courriel HTML trop long")


def test_a_long_text_body_is_truncated_with_a_french_note() -> None:
    mail = parse_eml(build(text="mot " * 10_000))
    assert len(mail.text) <= MAX_LONG_TEXT
    assert mail.text.startswith("mot mot")
    assert "Texte tronqué" in mail.text and "boîte de la mairie" in mail.text


def test_nul_and_control_characters_are_dropped() -> None:
    mail = parse_eml(build(text="a\x00b\x07c\r\nd"))
    assert mail.text == "abc\nd"


def test_thirty_attachments_are_all_given_to_the_caller() -> None:
    files = tuple((f"scan-{i}.png", PNG, "image/png") for i in range(30))
    mail = parse_eml(build(files=files))
    assert [a.name for a in mail.attachments] == [f"scan-{i}.png" for i in range(30)]


def test_disguised_exe_and_zip_are_read_and_refused_by_the_shared_rule() -> None:
    mail = parse_eml(
        build(
            files=(
                ("facture.pdf", EXE, "application/pdf"),
                ("pieces.zip", ZIP, "application/zip"),
            )
        )
    )
    disguised, archive = mail.attachments
    assert disguised.declared_type == "application/pdf" and disguised.content == EXE
    assert "n'est pas un PDF, un JPG ou un PNG" in (attachment_problem(EXE, disguised.name) or "")
    assert "n'est pas un PDF" in (attachment_problem(archive.content, archive.name) or "")


def test_attachment_names_are_decoded_and_sanitised() -> None:
    files = (
        ("../../etc/passwd.pdf", PDF, "application/pdf"),
        ("état civil : acte?.pdf", PDF, "application/pdf"),
        ("CON.pdf", PDF, "application/pdf"),
    )
    names = [a.name for a in parse_eml(build(files=files)).attachments]
    assert names == ["passwd.pdf", "état civil _ acte_.pdf", "_CON.pdf"]
    assert sanitise_name("", 3) == "piece-jointe-3"
    assert sanitise_name(None, 1) == "piece-jointe-1"
    long = sanitise_name("a" * 300 + ".pdf", 1)
    assert len(long) <= 120 and long.endswith(".pdf")


def test_an_attachment_without_name_is_numbered() -> None:
    raw = (
        b"From: a@example.fr\r\nSubject: scan\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nVoir pi\xc3\xa8ce.\r\n"
        b"--B\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERi0xLjQK\r\n--B--\r\n"
    )
    mail = parse_eml(raw)
    assert mail.text == "Voir pièce."
    [attachment] = mail.attachments
    assert attachment.name == "piece-jointe-1"
    assert attachment.content == b"%PDF-1.4\n"


def test_a_forwarded_message_is_an_attachment() -> None:
    inner = EmailMessage()
    inner["Subject"] = "original"
    inner.set_content("texte original")
    outer = EmailMessage()
    outer["From"] = "a@example.fr"
    outer["Subject"] = "Tr: original"
    outer.set_content("voir ci-dessous")
    outer.add_attachment(inner)
    mail = parse_eml(outer.as_bytes())
    assert mail.text == "voir ci-dessous"
    [attachment] = mail.attachments
    assert attachment.name.endswith(".eml") and b"texte original" in attachment.content


def test_without_message_id_the_hash_of_the_raw_bytes_stands_in() -> None:
    raw = build(message_id=None)
    mail = parse_eml(raw)
    assert mail.message_id.startswith("sha256:") and len(mail.message_id) == 7 + 64
    assert parse_eml(raw).message_id == mail.message_id
    assert parse_eml(raw + b"x").message_id != mail.message_id


def test_a_generated_message_id_is_kept() -> None:
    ident = make_msgid(domain="example.fr")
    assert parse_eml(build(message_id=ident)).message_id == ident.strip("<>")


@pytest.mark.parametrize("raw", [b"", b"\x00\x01binary junk"])
def test_unreadable_bytes_raise_a_french_error(raw: bytes) -> None:
    with pytest.raises(InboundMailError) as caught:
        parse_eml(raw)
    assert "courriel" in str(caught.value)


def test_too_many_parts_is_refused_in_french() -> None:
    parts = b"".join(
        b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n" for _ in range(MAX_MAIL_PARTS + 5)
    )
    raw = (
        b'From: a@example.fr\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary="B"\r\n\r\n'
        + parts
        + b"--B--\r\n"
    )
    with pytest.raises(InboundMailError, match="parties"):
        parse_eml(raw)


def test_deep_nesting_is_refused_in_french() -> None:
    depth = 40
    head = b"".join(
        f'--b{i}\r\nContent-Type: multipart/mixed; boundary="b{i + 1}"\r\n\r\n'.encode()
        for i in range(depth)
    )
    raw = (
        b'From: a@example.fr\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary="b0"\r\n'
        b"\r\n" + head + f"--b{depth}\r\nContent-Type: text/plain\r\n\r\nx\r\n".encode()
    )
    with pytest.raises(InboundMailError, match="imbriqué"):
        parse_eml(raw)


def test_a_huge_message_is_refused_before_parsing() -> None:
    with pytest.raises(InboundMailError, match="trop volumineux"):
        parse_eml(b"From: a@example.fr\r\n\r\n" + b"x" * MAX_MAIL_BYTES)


def test_parse_mail_file_by_extension_and_content() -> None:
    raw = build()
    assert parse_mail_file("demande.eml", raw).subject == "Demande d'acte de naissance"
    assert parse_mail_file("sans-extension", raw).message_id == "abc.123@example.fr"
    with pytest.raises(InboundMailError) as caught:
        parse_mail_file("photo.png", PNG)
    assert str(caught.value).startswith("« photo.png » : ")
    with pytest.raises(InboundMailError, match="n'est pas un courriel"):
        parse_mail_file("notes.eml", b"Juste du texte, pas un courriel.")
    with pytest.raises(InboundMailError, match="Outlook"):
        parse_mail_file("message.msg", raw)


def test_a_damaged_outlook_file_raises_a_french_error() -> None:
    # No real Outlook .msg can be produced here (extract-msg only reads); a file with the OLE2
    # signature and nothing valid behind it must still give a clear French message.
    junk = OLE_MAGIC + b"\x00" * 1024
    with pytest.raises(InboundMailError, match="Outlook"):
        parse_msg(junk)
    with pytest.raises(InboundMailError, match="« faux.eml » : .*Outlook"):
        parse_mail_file("faux.eml", junk)


@pytest.mark.parametrize(
    "bomb",
    [
        "<" * 3_000_000,
        "<script>" * 400_000,
        "<!--" * 600_000,
        "&eacute;" * 400_000,
        "<a href='" + "x" * 3_000_000,
        "<b>" * 700_000,
        "<x" * 1_000_000,
        "<td>" * 600_000,
    ],
    ids=["lt", "script", "comment", "entities", "open-attribute", "tags", "lt-letter", "cells"],
)
def test_every_shape_of_html_bomb_gives_a_bounded_text(bomb: str) -> None:
    text = parse_eml(build(text=None, html=bomb)).text
    assert len(text) <= MAX_LONG_TEXT
    assert "Courriel HTML trop long" in text or "Texte tronqué" in text
    assert "<script" not in text and "<!--" not in text and "<b>" not in text


@pytest.mark.parametrize(
    ("header", "robot"),
    [
        ("", False),
        ("Auto-Submitted: no\r\n", False),
        ("Auto-Submitted: auto-replied\r\n", True),
        ("Precedence: bulk\r\n", True),
        ("List-Id: <annonces.example.fr>\r\n", True),
        ("Return-Path: <>\r\n", True),
        ("X-Autoreply: yes\r\n", True),
    ],
)
def test_machines_are_recognised_so_nobody_answers_them(header: str, robot: bool) -> None:
    raw = build().replace(b"Subject:", header.encode() + b"Subject:", 1)
    assert parse_eml(raw).auto_submitted is robot


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@example.fr", "noreply@impots.gouv.fr",
                                    "ne-pas-repondre@ants.gouv.fr"])  # fmt: skip
def test_robot_senders_are_recognised(sender: str) -> None:
    assert parse_eml(build(sender=sender)).auto_submitted is True


def test_an_outlook_msg_is_read_like_an_eml() -> None:
    raw = build_msg(files=(("acte.pdf", PDF, "application/pdf"),
                           ("facture.pdf", EXE, "application/pdf")))  # fmt: skip
    assert raw.startswith(OLE_MAGIC)
    mail = parse_mail_file("demande.msg", raw)
    assert mail.subject == "Demande d'acte — état civil"
    assert mail.text == "Bonjour,\nje souhaite une copie intégrale."
    assert (mail.sender_email, mail.sender_name) == ("elodie.martin@example.fr", "Élodie Martin")
    assert mail.received_at == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert mail.message_id.startswith("sha256:")  # no transport headers: the hash stands in
    acte, facture = mail.attachments
    assert (acte.name, acte.content, acte.declared_type) == ("acte.pdf", PDF, "application/pdf")
    assert attachment_problem(acte.content, acte.name) is None
    assert "n'est pas un PDF" in (attachment_problem(facture.content, facture.name) or "")
    # The content decides, not the name: a .msg renamed .eml is still read as Outlook.
    assert parse_mail_file("renomme.eml", raw).subject == mail.subject


def test_a_received_outlook_msg_keeps_its_message_id_and_thread() -> None:
    headers = (
        "From: =?utf-8?q?=C3=89lodie_Martin?= <elodie.martin@example.fr>\r\n"
        "Message-ID: <outlook.1@example.fr>\r\n"
        "In-Reply-To: <sent.42@bannette.example>\r\n"
        "Date: Mon, 23 Nov 2026 10:30:00 +0100\r\n\r\n"
    )
    mail = parse_msg(build_msg(transport_headers=headers))
    assert mail.message_id == "outlook.1@example.fr"
    assert "sent.42@bannette.example" in mail.references
    assert mail.sender_email == "elodie.martin@example.fr"
