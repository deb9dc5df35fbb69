"""« Administration » across PCs (issue 13): the commune's settings edited on one PC appear on
a letter produced on another; a procedure edited on two PCs is merged field by field and the
clash is kept; a new period applies to new requests only; a non-admin cannot save."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest

from desktop.documents.render import LetterKind, render_letter
from desktop.domain.signature import Deputy
from desktop.services.letters import LetterService, RequestAction, letter_context
from desktop.store.commune_admin import (
    catalogue,
    read_settings,
    save_procedure,
    save_settings,
)
from desktop.store.database import StoreError, connect
from desktop.store.legal import legal_facts
from desktop.store.logo import keep_logo, logo_bytes
from desktop.store.outbox import pending_count
from desktop.store.sync_store import conflicts, resolve_conflict
from sync.protocol.vocabulary import Channel, PeriodUnit
from tests.logo_images import logo_image
from tests.sync.conftest import CLERK, ServerProcess, local_db, sync_in_process
from tests.unit.test_documents import docx_text

ADMIN = ("admin", "Admin-Bannette-2026!")
TODAY = date(2026, 12, 1)
LOGO = logo_image()


def _pc(server: ServerProcess, where: Path, login: tuple[str, str] = ADMIN) -> sqlite3.Connection:
    db = local_db(where)
    sync_in_process(server.url, db, login)
    return connect(db)


def _commune(conn: sqlite3.Connection, insee: str = "10999") -> int:
    found = conn.execute("SELECT pk FROM authority WHERE insee_code = ?", (insee,)).fetchone()
    return int(found[0])


def _agent(conn: sqlite3.Connection, login: str) -> str:
    return str(conn.execute("SELECT id FROM agent WHERE login = ?", (login,)).fetchone()[0])


def _sync(server: ServerProcess, conn: sqlite3.Connection, login: tuple[str, str] = ADMIN) -> None:
    path = conn.execute("PRAGMA database_list").fetchone()[2]
    sync_in_process(server.url, Path(path), login)


def test_settings_edited_on_pc_a_appear_on_a_letter_produced_on_pc_b(
    server: ServerProcess, tmp_path: Path
) -> None:
    a, b = _pc(server, tmp_path / "a.sqlite3"), _pc(server, tmp_path / "b.sqlite3")
    commune = _commune(a)
    settings = replace(
        read_settings(a, commune),
        service_name="Service de l'état civil et des élections",
        phone="03 25 99 88 77",
        mayor_name="Mme Hélène Lefèvre-Schmitt",
        mayor_title="La Maire",
        administrative_court="tribunal administratif de Châlons-en-Champagne",
        internal_target_days=5,
        deputies=(Deputy("Paul Weber", "1er adjoint", ("etat-civil",)),),
        logo_sha256=keep_logo(a, LOGO, "logo-testville.png"),
    )
    changed = save_settings(a, commune, settings, agent_id=_agent(a, "admin"))
    assert set(changed) >= {"service_name", "service_phone", "mayor_name", "deputies",
                            "logo_sha256"}
    assert pending_count(a) == 1
    _sync(server, a)
    assert pending_count(a) == 0
    _sync(server, b)

    on_b = read_settings(b, _commune(b))
    assert on_b.mayor_name == "Mme Hélène Lefèvre-Schmitt"
    assert on_b.deputies == (Deputy("Paul Weber", "1er adjoint", ("etat-civil",)),)
    assert on_b.internal_target_days == 5
    pk = int(b.execute(
        "SELECT r.pk FROM request r WHERE r.authority_pk = ? AND r.status = 'received' "
        "AND r.acknowledged_at IS NULL ORDER BY r.pk LIMIT 1", (_commune(b),)).fetchone()[0])
    service = LetterService(b, documents_root=tmp_path / "courriers")
    job = service.prepare(RequestAction.ACKNOWLEDGEMENT, pk, TODAY)
    text_path = render_letter(job.kind, job.context, tmp_path / "lettre")
    text = docx_text(text_path)
    assert "Mme Hélène Lefèvre-Schmitt" in text
    assert "La Maire" in text
    assert "Service de l'état civil et des élections" in text
    assert "03 25 99 88 77" in text
    # The logo chosen on A travelled as a file: B prints it in the letterhead.
    assert on_b.logo_sha256 == settings.logo_sha256
    assert logo_bytes(b, on_b.logo_sha256) == LOGO
    [shape] = docx.Document(str(text_path)).inline_shapes
    r_id = shape._inline.graphic.graphicData.pic.blipFill.blip.embed  # noqa: SLF001
    assert docx.Document(str(text_path)).part.related_parts[
        r_id].blob == LOGO
    # The adjoint delegated « etat-civil » signs that procedure's letters, the maire the rest.
    civil = int(b.execute(
        "SELECT r.pk FROM request r JOIN procedure p ON p.pk = r.procedure_pk "
        "WHERE r.authority_pk = ? AND p.code = 'etat-civil' LIMIT 1", (_commune(b),)
    ).fetchone()[0])
    signed = letter_context(LetterKind.ACKNOWLEDGEMENT, legal_facts(b, civil), TODAY)
    assert (signed.signatory_name, signed.signatory_title) == (
        "Paul Weber", "Pour le Maire et par délégation, 1er adjoint")
    if legal_facts(b, pk).procedure.code != "etat-civil":
        assert job.context.signatory_name == "Mme Hélène Lefèvre-Schmitt"


def test_a_logo_removed_on_one_pc_leaves_every_letter(
    server: ServerProcess, tmp_path: Path
) -> None:
    a, b = _pc(server, tmp_path / "a.sqlite3"), _pc(server, tmp_path / "b.sqlite3")
    admin = _agent(a, "admin")
    with_logo = replace(read_settings(a, _commune(a)), logo_sha256=keep_logo(a, LOGO, "l.png"))
    save_settings(a, _commune(a), with_logo, agent_id=admin)
    _sync(server, a)
    _sync(server, b)
    assert read_settings(b, _commune(b)).logo_sha256 == with_logo.logo_sha256
    save_settings(b, _commune(b), replace(read_settings(b, _commune(b)), logo_sha256=""),
                  agent_id=admin)
    _sync(server, b)
    _sync(server, a)
    assert read_settings(a, _commune(a)).logo_sha256 == ""
    pk = int(a.execute("SELECT pk FROM request WHERE authority_pk = ? LIMIT 1",
                       (_commune(a),)).fetchone()[0])
    assert legal_facts(a, pk).authority.logo is None


def test_a_clerk_cannot_save_the_settings(server: ServerProcess, tmp_path: Path) -> None:
    clerk = _pc(server, tmp_path / "clerk.sqlite3", CLERK)
    commune = _commune(clerk)
    before = read_settings(clerk, commune)
    with pytest.raises(StoreError, match="réservé aux administrateurs"):
        save_settings(clerk, commune, replace(before, mayor_name="Usurpateur"),
                      agent_id=_agent(clerk, "secretaire"))
    assert read_settings(clerk, commune) == before
    assert pending_count(clerk) == 0


def test_bad_settings_are_refused_in_french_and_nothing_is_lost(
    server: ServerProcess, tmp_path: Path
) -> None:
    a = _pc(server, tmp_path / "a.sqlite3")
    commune = _commune(a)
    before = read_settings(a, commune)
    for bad, words in (
        (replace(before, email="mairie@@exemple"), "Adresse électronique invalide"),
        (replace(before, internal_target_days=0), "de 1 à 60 jours"),
        (replace(before, name="  "), "nom de la commune"),
        (replace(before, deputies=(Deputy(""),)), "adjoint doit avoir un nom"),
    ):
        with pytest.raises(StoreError, match=words):
            save_settings(a, commune, bad, agent_id=_agent(a, "admin"))
    assert read_settings(a, commune) == before
    assert pending_count(a) == 0


def test_a_procedure_edited_on_two_pcs_merges_and_keeps_the_clash(
    server: ServerProcess, tmp_path: Path
) -> None:
    a, b = _pc(server, tmp_path / "a.sqlite3"), _pc(server, tmp_path / "b.sqlite3")
    admin = _agent(a, "admin")
    on_a = next(p for p in catalogue(a, _commune(a)) if p.code == "salle-communale")
    on_b = next(p for p in catalogue(b, _commune(b)) if p.code == "salle-communale")
    # Both offline: A sets the period to 3 weeks; B to 15 days and renames it.
    save_procedure(a, _commune(a), replace(on_a, period=3, unit=PeriodUnit.WEEKS),
                   agent_id=admin)
    save_procedure(b, _commune(b), replace(on_b, period=15, unit=PeriodUnit.DAYS,
                                           name="Location de la salle des fêtes"),
                   agent_id=admin)
    _sync(server, a)
    _sync(server, b)
    clash = [c for c in conflicts(b) if c["entity"] == "procedures"]
    assert {c["field"] for c in clash} == {"period_value", "period_unit"}
    assert {c["local_value"] for c in clash} == {"15", '"days"'}
    _sync(server, a)
    for conn in (a, b):
        merged = next(p for p in catalogue(conn, _commune(conn)) if p.code == "salle-communale")
        assert (merged.period, merged.unit) == (3, PeriodUnit.WEEKS)
        assert merged.name == "Location de la salle des fêtes"
    # On B, the admin keeps their own value (« Garder ma valeur »): a new change, for all.
    for conflict in clash:
        resolve_conflict(b, conflict["pk"], "local", agent_id=admin)
    _sync(server, b)
    _sync(server, a)
    for conn in (a, b):
        kept = next(p for p in catalogue(conn, _commune(conn)) if p.code == "salle-communale")
        assert (kept.period, kept.unit) == (15, PeriodUnit.DAYS)
    assert not [c for c in conflicts(b) if c["entity"] == "procedures"]


def test_a_new_period_applies_to_new_requests_only_on_every_pc(
    server: ServerProcess, tmp_path: Path
) -> None:
    a, b = _pc(server, tmp_path / "a.sqlite3"), _pc(server, tmp_path / "b.sqlite3")
    entry = next(p for p in catalogue(a, _commune(a)) if p.code == "inscription-scolaire"
                 and p.in_use)
    held = [int(r[0]) for r in a.execute(
        "SELECT pk FROM request WHERE procedure_pk = ? ORDER BY pk", (entry.pk,))]
    before = {pk: legal_facts(a, pk).procedure.period for pk in held}
    assert set(before.values()) == {2}
    save_procedure(a, _commune(a), replace(entry, period=4), agent_id=_agent(a, "admin"))
    assert {legal_facts(a, pk).procedure.period for pk in held} == {2}
    _sync(server, a)
    _sync(server, b)
    ids = [str(a.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0])
           for pk in held]
    on_b = [int(b.execute("SELECT pk FROM request WHERE id = ?", (i,)).fetchone()[0])
            for i in ids]
    assert {legal_facts(b, pk).procedure.period for pk in on_b} == {2}
    changed = next(p for p in catalogue(b, _commune(b)) if p.code == "inscription-scolaire")
    assert changed.period == 4


def test_a_procedures_default_service_takes_new_requests_on_every_pc(
    server: ServerProcess, tmp_path: Path
) -> None:
    from desktop.store.intake import NewCitizen, NewRequest, register_request
    from desktop.store.teamwork import event_text, save_service

    a, b = _pc(server, tmp_path / "a.sqlite3"), _pc(server, tmp_path / "b.sqlite3")
    admin = _agent(a, "admin")
    service_id = save_service(a, authority_pk=_commune(a), name="État civil", member_ids=[],
                              by_agent_id=admin)
    entry = next(p for p in catalogue(a, _commune(a)) if p.code == "etat-civil")
    save_procedure(a, _commune(a), replace(entry, default_service_id=service_id),
                   agent_id=admin)
    _sync(server, a)
    _sync(server, b)
    on_b = next(p for p in catalogue(b, _commune(b)) if p.code == "etat-civil")
    assert on_b.default_service_id == service_id
    # B registers a paper request of that procedure, offline: at once in the service.
    pk = register_request(b, NewRequest(
        authority_pk=_commune(b), procedure_pk=int(on_b.pk or 0), channel=Channel.PAPER,
        received_at=datetime(2026, 11, 30, 9, 30), subject="Copie d'acte de naissance",
        new_citizen=NewCitizen(last_name="Noël", first_name="Éloïse", city="Romilly"),
    ), agent_id=_agent(b, "admin"), now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    assert b.execute("SELECT assigned_service_id FROM request WHERE pk = ?",
                     (pk,)).fetchone()[0] == service_id

    def history(conn: sqlite3.Connection, request_id: str) -> list[str | None]:
        return [event_text(kind, json.loads(detail)) for kind, detail in conn.execute(
            "SELECT e.kind, e.detail FROM event e JOIN request r ON r.pk = e.request_pk "
            "WHERE r.id = ? AND e.kind = 'assigned'", (request_id,))]

    request_id = str(b.execute("SELECT id FROM request WHERE pk = ?", (pk,)).fetchone()[0])
    line = "Attribuée au service « État civil » (service par défaut de la démarche)"
    assert history(b, request_id) == [line]
    _sync(server, b)
    _sync(server, a)
    # The server applied the same rule: one history line on both PCs, the same service.
    for conn in (a, b):
        assert conn.execute("SELECT assigned_service_id FROM request WHERE id = ?",
                            (request_id,)).fetchone()[0] == service_id
        assert history(conn, request_id) == [line]
    # A retired service is no default: refused in French, nothing queued.
    save_service(a, authority_pk=_commune(a), name="État civil", member_ids=[], active=False,
                 service_id=service_id, by_agent_id=admin)
    pending = pending_count(a)
    other = next(p for p in catalogue(a, _commune(a)) if p.code == "salle-communale")
    with pytest.raises(StoreError, match="a été supprimé"):
        save_procedure(a, _commune(a), replace(other, default_service_id=service_id),
                       agent_id=admin)
    assert pending_count(a) == pending
