"""Issue 11 (defects 1, 5, 6, 7, 8, 10): what an adversarial afternoon stored, crashed or let
through, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import update

from server.db.models import Request
from tests.server.conftest import PASSWORD, World
from tests.server.helpers import mutation, new_request, png_bytes, upload
from tests.server.test_attachments import PERSON, submission


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"fin": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def push(world: World, mutations: list[dict[str, Any]], client_id: str) -> list[dict[str, Any]]:
    response = world.client.post("/api/v1/sync/push", headers=world.a.headers(),
                                 json={"client_id": client_id, "mutations": mutations})
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def create_args(world: World, **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "channel": "paper", "subject": "Demande", **extra}


def assert_french_4xx(response: Any, status: int = 422) -> None:
    assert response.status_code == status, response.text[:500]
    detail = response.json()["detail"]
    english = ("Value error", "_error", "Input should", "Field required", "There was an error")
    assert not any(marker in detail for marker in english), detail
    assert detail != "La demande n'a pas pu aboutir.", detail


# --- 1. form fields bounded at every door; one row never breaks a page ---------------------------


@pytest.mark.parametrize("form", [
    nested(256), {f"k{i}": i for i in range(201)}, {"long": "x" * 20_001},
    {"a": "é" * 15_000},
])
def test_form_fields_bounded_at_every_door(world: World, form: dict[str, Any]) -> None:
    refused = submission(world.client, world.a.authority_id,
                         {"subject": "Formulaire", "citizen": PERSON, "form_fields": form})
    assert_french_4xx(refused)
    rest = world.client.post("/api/v1/requests", headers=world.a.headers(),
                             json=create_args(world, form_fields=form))
    assert_french_4xx(rest)
    client_id = str(uuid.uuid4())
    existing = new_request(world.client, world.a)
    results = push(world, [
        mutation(client_id, 1, "request.create", create_args(world, form_fields=form)),
        mutation(client_id, 2, "request.update_fields",
                 {"request_id": existing["id"], "fields": {"form_fields": form}}),
    ], client_id)
    assert [r["result"] for r in results] == ["rejected", "rejected"]
    assert all(not r["reason"].isascii() for r in results)


def test_form_fields_within_bounds_accepted(world: World) -> None:
    form = {"parcelle": "AB 12", "surface": 120.5, "détails": nested(7)}
    created = submission(world.client, world.a.authority_id,
                         {"subject": "Formulaire", "citizen": PERSON, "form_fields": form})
    assert created.status_code == 201, created.text


def test_poisoned_row_does_not_break_pull_inbox_nor_detail(world: World) -> None:
    """A row stored behind the API's back (or before the bounds) that cannot be encoded is
    replaced by a placeholder: the commune's sync goes on."""
    poisoned = new_request(world.client, world.a)
    healthy = new_request(world.client, world.a)
    with world.db.write() as session:
        session.execute(update(Request).where(Request.id == uuid.UUID(poisoned["id"]))
                        .values(form_fields=nested(300)))
    pull = world.client.post("/api/v1/sync/pull", headers=world.a.headers(),
                             json={"cursor": 0, "limit": 500})
    assert pull.status_code == 200, pull.text
    rows = {r["id"]: r for r in pull.json()["requests"]}
    assert healthy["id"] in rows
    assert "erreur" in rows[poisoned["id"]]["form_fields"]
    inbox = world.client.get("/api/v1/requests", headers=world.a.headers(),
                             params={"authority_id": str(world.a.authority_id)})
    assert inbox.status_code == 200, inbox.text
    assert {poisoned["id"], healthy["id"]} <= {r["id"] for r in inbox.json()["items"]}
    detail = world.client.get(f"/api/v1/requests/{poisoned['id']}", headers=world.a.headers())
    assert detail.status_code == 200, detail.text
    assert "erreur" in detail.json()["form_fields"]


# --- 5. names re-checked at link time ------------------------------------------------------------


def test_attachment_link_rechecks_names(world: World) -> None:
    form = {"authority_id": str(world.a.authority_id)}
    blob = world.client.post("/api/v1/blobs", data=form, headers=world.a.headers(),
                             files={"file": ("image.png", io.BytesIO(png_bytes()), "image/png")})
    assert blob.status_code == 201, blob.text
    sha = blob.json()["sha256"]
    req = new_request(world.client, world.a)
    client_id = str(uuid.uuid4())
    names = ["script.html", "prog.exe", "run.bat.", "x.pdf.exe", "photo.png"]
    results = push(world, [
        mutation(client_id, i + 1, "attachment.link", {
            "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "request_id": req["id"], "sha256": sha, "filename": name})
        for i, name in enumerate(names)
    ], client_id)
    assert [r["result"] for r in results] == ["rejected"] * 4 + ["applied"]
    for result in results[:4]:
        assert "ne " in result["reason"] and "fichier" in result["reason"], result


# --- 6. anonymous uploads bounded ----------------------------------------------------------------


def test_submission_file_count_bounded(world: World) -> None:
    files = [(f"p{i}.png", png_bytes()) for i in range(11)]
    refused = submission(world.client, world.a.authority_id,
                         {"subject": "Pièces", "citizen": PERSON}, files)
    assert_french_4xx(refused)


def test_submission_bytes_bounded(world: World) -> None:
    big = b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024 - 100)
    files = [(f"p{i}.pdf", big) for i in range(6)]
    refused = submission(world.client, world.a.authority_id,
                         {"subject": "Pièces", "citizen": PERSON}, files)
    assert_french_4xx(refused, 413)
    assert "Mo" in refused.json()["detail"]


def test_anonymous_quota_per_commune(world: World) -> None:
    settings = world.app.state.settings
    saved = settings.anonymous_bytes_per_day
    settings.anonymous_bytes_per_day = 3 * len(png_bytes())
    try:
        first = submission(world.client, world.a.authority_id,
                           {"subject": "Pièces", "citizen": PERSON},
                           [("a.png", png_bytes()), ("b.png", png_bytes())])
        assert first.status_code == 201, first.text
        second = submission(world.client, world.a.authority_id,
                            {"subject": "Pièces", "citizen": PERSON},
                            [("c.png", png_bytes()), ("d.png", png_bytes())])
        assert_french_4xx(second, 429)
        # The quota is per commune: B is not affected by A's portal traffic.
        other = submission(world.client, world.b.authority_id,
                           {"subject": "Pièces", "citizen": PERSON}, [("e.png", png_bytes())])
        assert other.status_code == 201, other.text
    finally:
        settings.anonymous_bytes_per_day = saved


# --- 7. no more 500s -----------------------------------------------------------------------------


def test_absurd_range_header(world: World) -> None:
    req = new_request(world.client, world.a)
    sent = upload(world.client, world.a, png_bytes(), "photo.png", req["id"])
    assert sent.status_code == 201, sent.text
    response = world.client.get(
        f"/api/v1/attachments/{sent.json()['id']}/content",
        headers={**world.a.headers(), "Range": "bytes=" + "9" * 5000 + "-"})
    assert_french_4xx(response, 416)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "1900-01-01T10:00:00+01:00",
                                  "9999-12-31T23:00:00-14:00"])
def test_absurd_dates_refused(world: World, when: str) -> None:
    rest = world.client.post("/api/v1/requests", headers=world.a.headers(),
                             json=create_args(world, received_at=when))
    assert_french_4xx(rest)
    call = world.client.post("/api/v1/phone-calls", headers=world.a.headers(), json={
        "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
        "caller_name": "M. Petit", "called_at": when})
    assert_french_4xx(call)
    client_id = str(uuid.uuid4())
    results = push(world, [
        mutation(client_id, 1, "request.create", create_args(world, received_at=when)),
        mutation(client_id, 2, "phone_call.add", {
            "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
            "caller_name": "M. Petit", "called_at": when}),
    ], client_id)
    assert [r["result"] for r in results] == ["rejected", "rejected"]


def test_call_far_in_the_future_refused(world: World) -> None:
    call = world.client.post("/api/v1/phone-calls", headers=world.a.headers(), json={
        "id": str(uuid.uuid4()), "authority_id": str(world.a.authority_id),
        "caller_name": "M. Petit", "called_at": "2099-12-31T10:00:00+01:00"})
    assert_french_4xx(call)


def test_hostile_submission_payloads(world: World) -> None:
    url = f"/api/v1/public/authorities/{world.a.authority_id}/submissions"
    base = json.dumps({"subject": "S", "citizen": PERSON, "form_fields": {"n": 0}})
    for payload in (
        base.replace('"n": 0', '"n": ' + "9" * 5000),
        base.replace('"n": 0', '"n": ' + "[" * 2000 + "]" * 2000),
        base.replace('"n": 0', '"n": NaN'),
        base.replace('"n": 0', '"n": Infinity'),
        base.replace('"subject": "S"', '"subject": "S\\u0000"'),
        base.replace('"Lef', '"\\u0000Lef'),
    ):
        assert_french_4xx(world.client.post(url, data={"payload": payload}))


def test_nul_and_nan_refused_everywhere(world: World) -> None:
    login = world.client.post("/api/v1/auth/login",
                              json={"login": "clerk\x00", "password": "x"})
    assert_french_4xx(login)
    search = world.client.get("/api/v1/citizens", headers=world.a.headers(),
                              params={"q": "Du\x00rand"})
    assert_french_4xx(search)
    rest = world.client.post("/api/v1/requests", headers=world.a.headers(),
                             json=create_args(world, subject="Sujet\x00"))
    assert_french_4xx(rest)
    agent = world.client.post("/api/v1/agents", headers=world.a.headers("admin"), json={
        "login": f"nul-{uuid.uuid4().hex[:6]}", "display_name": "Agent\x00", "role": "clerk",
        "password": "Choisi-Par-Admin-9", "authority_ids": [str(world.a.authority_id)]})
    assert_french_4xx(agent)
    # In a push, the one bad mutation is rejected; the batch goes through.
    client_id = str(uuid.uuid4())
    body = json.dumps({"client_id": client_id, "mutations": [
        mutation(client_id, 1, "request.create",
                 create_args(world, form_fields={"surface": float("nan")})),
        mutation(client_id, 2, "request.create", create_args(world, subject="Sujet\x00")),
        mutation(client_id, 3, "request.create", create_args(world)),
    ]})
    pushed = world.client.post("/api/v1/sync/push", content=body,
                               headers={**world.a.headers(), "content-type": "application/json"})
    assert pushed.status_code == 200, pushed.text
    results = pushed.json()["results"]
    assert [r["result"] for r in results] == ["rejected", "rejected", "applied"]
    assert "NaN" in results[0]["reason"] and "nul" in results[1]["reason"]


# --- 8. weak checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["a@b@c.fr", "a b@c d.fr", "a@b.fr\r\nBcc: victim@x.fr"])
def test_bad_email_refused(world: World, email: str) -> None:
    citizen = world.client.post("/api/v1/citizens", headers=world.a.headers(), json={
        "authority_id": str(world.a.authority_id),
        "fields": {"kind": "person", "last_name": "Durand", "email": email}})
    assert_french_4xx(citizen)
    refused = submission(world.client, world.a.authority_id,
                         {"subject": "S", "citizen": {**PERSON, "email": email}})
    assert_french_4xx(refused)


@pytest.mark.parametrize("fields", [
    {"kind": "company", "organisation_name": "SARL", "siret": "00000000000000"},
    {"kind": "company", "organisation_name": "SARL", "siret": "73282932000075"},
    {"kind": "association", "organisation_name": "Club", "rna_number": "W000000000"},
])
def test_zero_identifiers_refused(world: World, fields: dict[str, Any]) -> None:
    citizen = world.client.post("/api/v1/citizens", headers=world.a.headers(), json={
        "authority_id": str(world.a.authority_id), "fields": fields})
    assert_french_4xx(citizen)


def test_update_fields_base_from_the_future_is_a_conflict(world: World) -> None:
    req = new_request(world.client, world.a)
    client_id = str(uuid.uuid4())
    edit = world.client.patch(f"/api/v1/requests/{req['id']}", headers=world.a.headers(),
                              json={"fields": {"subject": "Modifié au bureau"},
                                    "previous": {"subject": req["subject"]}})
    assert edit.status_code == 200, edit.text
    results = push(world, [mutation(client_id, 1, "request.update_fields", {
        "request_id": req["id"], "fields": {"subject": "Écrasé"},
        "previous": {"subject": "Valeur périmée"}}, base_version=2**62)], client_id)
    assert results[0]["result"] == "conflict"
    row = world.client.get(f"/api/v1/requests/{req['id']}", headers=world.a.headers()).json()
    assert row["subject"] == "Modifié au bureau"


# --- 10. clean French messages, push too large ---------------------------------------------------


def test_validation_messages_are_clean_french(world: World) -> None:
    response = world.client.post("/api/v1/requests", headers=world.a.headers(),
                                 json=create_args(world, channel="pigeon"))
    assert_french_4xx(response)
    reasons = [p["reason"] for p in response.json()["invalid-params"]]
    assert reasons == ["valeur non reconnue"], reasons
    literal = submission(world.client, world.a.authority_id,
                         {"subject": "S", "citizen": PERSON, "channel": "fax"})
    assert_french_4xx(literal)
    value = world.client.post("/api/v1/citizens", headers=world.a.headers(), json={
        "authority_id": str(world.a.authority_id),
        "fields": {"kind": "person", "last_name": "Durand", "email": "a@b@c.fr"}})
    assert_french_4xx(value)
    assert value.json()["invalid-params"][0]["reason"].startswith("Adresse électronique")


def test_too_large_push_says_so(world: World) -> None:
    client_id = str(uuid.uuid4())
    body = json.dumps({"client_id": client_id, "mutations": [
        mutation(client_id, i + 1, "request.add_note",
                 {"id": str(uuid.uuid4()), "request_id": str(uuid.uuid4()), "text": "x" * 35_000})
        for i in range(500)]})
    response = world.client.post("/api/v1/sync/push", content=body,
                                 headers={**world.a.headers(), "content-type": "application/json"})
    assert_french_4xx(response, 413)
    assert "lot" in response.json()["detail"] and "fichier" not in response.json()["detail"]


def _draft_folder(world: World) -> str:
    from tests.server.test_parapheur import make_folder

    official = str(world.a.agent_ids["official"])
    return str(make_folder(world, [{"kind": "signature", "official_id": official}])["id"])


def test_long_annotation_printed_whole_on_the_bordereau(world: World) -> None:
    import pymupdf

    fid = _draft_folder(world)
    words = [f"mot{i:04d}" for i in range(240)]
    text = " ".join(words)[:1990] + " FINALE"
    note = world.client.post(f"/api/v1/parapheur/folders/{fid}/annotations",
                             json={"text": text}, headers=world.a.headers("official"))
    assert note.status_code == 201, note.text
    slip = world.client.get(f"/api/v1/parapheur/folders/{fid}/bordereau",
                            headers=world.a.headers())
    assert slip.status_code == 200, slip.text
    with pymupdf.open(stream=slip.content, filetype="pdf") as doc:
        printed = " ".join(page.get_text() for page in doc)
        width = doc[0].rect.width
        for page in doc:
            for block in page.get_text("blocks"):
                assert block[2] <= width, block
    assert "FINALE" in printed and "mot0100" in printed


def test_annotations_count_bounded(world: World) -> None:
    fid = _draft_folder(world)
    for i in range(50):
        ok = world.client.post(f"/api/v1/parapheur/folders/{fid}/annotations",
                               json={"text": f"Note {i}"}, headers=world.a.headers("official"))
        assert ok.status_code == 201, ok.text
    refused = world.client.post(f"/api/v1/parapheur/folders/{fid}/annotations",
                                json={"text": "Une de trop"}, headers=world.a.headers("official"))
    assert_french_4xx(refused)


# --- 10. passwords -------------------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["Password1!", "Azerty123!", "AzErTy123!", "Motdepasse2026!"])
def test_common_passwords_refused(world: World, weak: str) -> None:
    response = world.client.post("/api/v1/auth/password", headers=world.a.headers("official"),
                                 json={"current_password": PASSWORD, "new_password": weak})
    assert_french_4xx(response)
    assert "plus utilisés" in response.json()["detail"]


def test_same_password_refused_and_change_clears_the_flag(world: World) -> None:
    from server.db.models import Agent

    with world.db.write() as session:  # as a seeded or reset account
        agent = session.get(Agent, world.a.agent_ids["official"])
        assert agent is not None
        agent.must_change_password = True
        login_name = agent.login
    first = world.client.post("/api/v1/auth/login",
                              json={"login": login_name, "password": PASSWORD})
    assert first.status_code == 200, first.text
    assert first.json()["must_change_password"] is True
    headers = {"Authorization": f"Bearer {first.json()['access_token']}"}
    same = world.client.post("/api/v1/auth/password", headers=headers,
                             json={"current_password": PASSWORD, "new_password": PASSWORD})
    assert_french_4xx(same)
    changed = world.client.post("/api/v1/auth/password", headers=headers,
                                json={"current_password": PASSWORD,
                                      "new_password": "Tilleul-Ecluse-77?"})
    assert changed.status_code == 200, changed.text
    again = world.client.post("/api/v1/auth/login",
                              json={"login": login_name, "password": "Tilleul-Ecluse-77?"})
    assert again.json()["must_change_password"] is False


def test_seeded_demo_and_admin_created_accounts_must_change(world: World) -> None:
    from server.seed import DEFAULT_AGENTS

    assert all(agent.must_change_password for agent in DEFAULT_AGENTS)
    login_name = f"nouveau-{uuid.uuid4().hex[:8]}"
    created = world.client.post("/api/v1/agents", headers=world.a.headers("admin"), json={
        "login": login_name, "display_name": "Nouvel agent", "role": "clerk",
        "password": "Choisi-Par-Admin-9", "authority_ids": [str(world.a.authority_id)]})
    assert created.status_code == 201, created.text
    first = world.client.post("/api/v1/auth/login",
                              json={"login": login_name, "password": "Choisi-Par-Admin-9"})
    assert first.json()["must_change_password"] is True


# --- 10. a meaningful trail of reads -------------------------------------------------------------


def _reads(world: World) -> list[Any]:
    from sqlalchemy import select

    from server.db.models import AuditEntry

    with world.db.read() as session:
        return list(session.execute(
            select(AuditEntry).where(AuditEntry.authority_id == world.a.authority_id,
                                     AuditEntry.action == "read",
                                     AuditEntry.entity == "citizens")).scalars())


def test_one_audit_entry_per_list_query_and_pull_page(world: World) -> None:
    from tests.server.helpers import new_citizen

    made = [new_citizen(world.client, world.a)["id"] for _ in range(5)]
    before = len(_reads(world))
    listed = world.client.get("/api/v1/citizens", headers=world.a.headers(),
                              params={"authority_id": str(world.a.authority_id)})
    assert listed.status_code == 200 and len(listed.json()["items"]) == 5
    after_list = _reads(world)
    assert len(after_list) == before + 1
    entry = [e for e in after_list if e.detail.get("via") == "list"][-1]
    assert sorted(entry.detail["ids"]) == sorted(made) and entry.entity_id is None
    pulled = world.client.post("/api/v1/sync/pull", headers=world.a.headers(),
                               json={"cursor": 0, "limit": 500})
    assert len(pulled.json()["citizens"]) == 5
    assert len(_reads(world)) == before + 2
    opened = world.client.get(f"/api/v1/citizens/{made[0]}", headers=world.a.headers())
    assert opened.status_code == 200
    last = _reads(world)
    assert len(last) == before + 3
    assert any(e.entity_id == uuid.UUID(made[0]) and e.detail.get("via") == "detail"
               for e in last)


# --- 6. streamed to disk ------------------------------------------------------------------------


class _Reader(io.BytesIO):
    """A file that remembers the largest read asked of it."""

    largest = 0

    def read(self, size: int | None = -1) -> bytes:
        self.largest = max(self.largest, size if size and size > 0 else len(self.getvalue()))
        return super().read(size)


def test_public_uploads_are_streamed_chunk_by_chunk(tmp_path: Any) -> None:
    from server.blobs import CHUNK, DiskBlobStore
    from server.problems import ProblemError
    from sync.protocol.files import sha256_hex

    store = DiskBlobStore(tmp_path / "blobs")
    data = b"%PDF-1.4\n" + bytes(range(256)) * 16_000  # about 4 MB
    reader = _Reader(data)
    stored = store.put_stream(reader, "piece.pdf")
    assert reader.largest <= CHUNK
    assert stored.sha256 == sha256_hex(data) and stored.size == len(data)
    assert stored.content_type == "application/pdf"
    assert store.read(stored.sha256) == data
    too_big = _Reader(b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024))
    with pytest.raises(ProblemError) as refused:
        store.put_stream(too_big, "gros.pdf")
    assert refused.value.status == 413 and too_big.largest <= CHUNK
    with pytest.raises(ProblemError) as disguised:
        store.put_stream(_Reader(png_bytes()), "x.pdf.exe")
    assert disguised.value.status == 415
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(leftovers) == 1  # only the accepted file; no temporary file left behind
