"""« Administration » in the local store: who administers which commune, the commune's
settings and its procedures catalogue. Knows nothing of Qt.

Settings and procedures are edited offline like everything else: the local row changes at once
(letters produced on this PC use it immediately) and a mutation (``authority.update``,
``procedure.upsert``, ``procedure.retire``) is queued in the same transaction with the values
the admin saw, so that the server merges two PCs' edits field by field and keeps a conflict
when both changed the same field.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from desktop.domain.legal_time import utc_now
from desktop.domain.signature import Deputy
from desktop.store.database import StoreError, transaction
from desktop.store.ids import iso, new_id
from desktop.store.intake import authority_ref
from desktop.store.logo import LOGO_UPLOAD_NAME, logo_bytes
from desktop.store.outbox import enqueue
from desktop.store.replies import Official
from desktop.store.requests import refresh_unacknowledged
from desktop.store.rules import freeze_rules, rule_changes
from desktop.store.sync_store import PLACEHOLDER_PROCEDURE_ID
from sync.protocol.files import sniff
from sync.protocol.vocabulary import PeriodUnit, Role, SilenceRule
from sync.protocol.wire import (
    AuthorityFields,
    AuthorityUpdateArgs,
    MutationName,
    ProcedureFields,
    ProcedureRetireArgs,
    ProcedureUpsertArgs,
)

NOT_ADMIN = (
    "Cet écran est réservé aux administrateurs de la commune : demandez à un administrateur "
    "de vous donner ce rôle (« Administration › Agents »)."
)
GONE = "Cette commune n'existe plus dans la base locale."


# --------------------------------------------------------------------------- roles

#: The role of agent ``a`` in the commune of membership ``aa``: its ``agent_role`` row (pulled
#: from the server's per-commune roles), else the agent's single role.
ROLE_JOIN = "LEFT JOIN agent_role ar ON ar.agent_pk = a.pk AND ar.authority_pk = aa.authority_pk"
ROLE_HERE = "COALESCE(ar.role, a.role)"


def role_in(conn: sqlite3.Connection, agent_id: str | None, authority_pk: int) -> Role | None:
    """The agent's role in this commune (a role belongs to (agent, commune)), None if the
    agent does not work there."""
    if not agent_id:
        return None
    row = conn.execute(
        f"SELECT {ROLE_HERE} FROM agent a "
        "JOIN agent_authority aa ON aa.agent_pk = a.pk "
        f"{ROLE_JOIN} WHERE a.id = ? AND a.deleted = 0 AND aa.authority_pk = ?",
        (agent_id, authority_pk),
    ).fetchone()
    return Role(row[0]) if row else None


def administered(conn: sqlite3.Connection, agent_id: str | None) -> list[tuple[int, str]]:
    """(pk, name) of the communes the agent administers, by name."""
    if not agent_id:
        return []
    return [
        (int(pk), str(name))
        for pk, name in conn.execute(
            "SELECT au.pk, au.name FROM agent a "
            "JOIN agent_authority aa ON aa.agent_pk = a.pk "
            f"JOIN authority au ON au.pk = aa.authority_pk {ROLE_JOIN} "
            "WHERE a.id = ? AND a.deleted = 0 AND au.deleted = 0 "
            f"AND {ROLE_HERE} = 'admin' ORDER BY au.name",
            (agent_id,),
        )
    ]


def require_admin(conn: sqlite3.Connection, agent_id: str | None, authority_pk: int) -> None:
    """Every admin screen and every saving re-checks the role: a shortcut or a stale window
    never bypasses it."""
    if role_in(conn, agent_id, authority_pk) is not Role.ADMIN:
        raise StoreError(NOT_ADMIN)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class CommuneSettings:
    """What « Administration › Commune » shows and edits. ``templates_folder`` is a path of
    this PC: saved here only, never synced."""

    name: str
    address: str
    postcode: str
    city: str
    service_name: str
    email: str
    phone: str
    mayor_name: str
    mayor_title: str
    administrative_court: str
    internal_target_days: int
    deputies: tuple[Deputy, ...] = ()
    templates_folder: str = ""
    #: SHA-256 of the logo in the local file cache ("" : no logo).
    logo_sha256: str = ""
    version: int = field(default=0, compare=False)

    def wire_address(self) -> str:
        """The one-line address the server keeps (« 1 place de la Mairie, 10100 Ville »)."""
        town = f"{self.postcode} {self.city}".strip()
        return ", ".join(part for part in (self.address.strip(), town) if part)

    def wire_values(self) -> dict[str, Any]:
        """The wire fields (``AuthorityFields``) these settings give."""
        return {
            "name": self.name.strip(), "address": self.wire_address(),
            "service_name": self.service_name.strip(), "service_email": self.email.strip(),
            "service_phone": self.phone.strip(), "mayor_name": self.mayor_name.strip(),
            "mayor_title": self.mayor_title.strip(),
            "administrative_court": self.administrative_court.strip(),
            "internal_target_days": self.internal_target_days,
            "deputies": [d.wire() for d in self.deputies],
            "logo_sha256": self.logo_sha256,
        }


#: Wire field -> the local columns it covers (what a pull must not overwrite while queued).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("name",), "address": ("address", "postcode", "city"),
    "service_name": ("service_name",), "service_email": ("email",), "service_phone": ("phone",),
    "mayor_name": ("mayor_name",), "mayor_title": ("mayor_title",),
    "administrative_court": ("administrative_court",),
    "internal_target_days": ("internal_target_days",), "deputies": ("deputies",),
    "logo_sha256": ("logo_sha256",),
}


def _deputies(text: str) -> tuple[Deputy, ...]:
    return tuple(Deputy.from_wire(d) for d in json.loads(text or "[]"))


def read_settings(conn: sqlite3.Connection, authority_pk: int) -> CommuneSettings:
    row = conn.execute(
        "SELECT name, address, postcode, city, service_name, email, phone, mayor_name, "
        "mayor_title, administrative_court, internal_target_days, deputies, templates_folder, "
        "version, logo_sha256 FROM authority WHERE pk = ? AND deleted = 0",
        (authority_pk,),
    ).fetchone()
    if row is None:
        raise StoreError(GONE)
    return CommuneSettings(
        name=row[0], address=row[1], postcode=row[2], city=row[3], service_name=row[4],
        email=row[5], phone=row[6], mayor_name=row[7], mayor_title=row[8],
        administrative_court=row[9], internal_target_days=int(row[10]),
        deputies=_deputies(row[11]), templates_folder=row[12], version=int(row[13]),
        logo_sha256=row[14],
    )


def check_settings(settings: CommuneSettings) -> list[str]:
    """What is wrong with the settings, in French (empty: fine). The wire model is the
    judge, so the PC refuses exactly what the server would."""
    problems: list[str] = []
    if not settings.name.strip():
        problems.append("le nom de la commune est obligatoire")
    if not 1 <= settings.internal_target_days <= 60:
        problems.append("le délai interne d'accusé de réception va de 1 à 60 jours")
    for deputy in settings.deputies:
        if not deputy.name.strip():
            problems.append("chaque adjoint doit avoir un nom")
            break
    if not problems:
        try:
            AuthorityFields.model_validate(settings.wire_values())
        except ValueError as exc:
            problems.append(_first_reason(exc))
    return problems


def _first_reason(exc: ValueError) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        label = {"service_email": "adresse électronique", "service_phone": "téléphone",
                 "address": "adresse"}.get(where.split(".")[0], where)
        message = str(error.get("msg", "")).removeprefix("Value error, ").rstrip(".")
        if message.casefold().startswith(label.casefold()):
            return message
        return f"{label} : {message}"
    return str(exc)


def save_settings(
    conn: sqlite3.Connection, authority_pk: int, new: CommuneSettings, *, agent_id: str | None
) -> list[str]:
    """Saves the settings here and queues them for the server; returns the wire fields changed.

    Raises ``StoreError`` (French) when the agent is not an admin of the commune or a value is
    refused; nothing is written then."""
    require_admin(conn, agent_id, authority_pk)
    problems = check_settings(new)
    if problems:
        raise StoreError("Paramètres non enregistrés : " + " ; ".join(problems).rstrip(".") + ".")
    authority_id, shared = authority_ref(conn, authority_pk)
    with transaction(conn):
        old = read_settings(conn, authority_pk)
        before, after = old.wire_values(), new.wire_values()
        changed = [name for name in after if after[name] != before[name]]
        conn.execute(
            "UPDATE authority SET name = ?, address = ?, postcode = ?, city = ?, "
            "service_name = ?, email = ?, phone = ?, mayor_name = ?, mayor_title = ?, "
            "administrative_court = ?, internal_target_days = ?, deputies = ?, "
            "templates_folder = ?, logo_sha256 = ? WHERE pk = ?",
            (new.name.strip(), new.address.strip(), new.postcode.strip(), new.city.strip(),
             new.service_name.strip(), new.email.strip(), new.phone.strip(),
             new.mayor_name.strip(), new.mayor_title.strip(), new.administrative_court.strip(),
             new.internal_target_days,
             json.dumps([d.wire() for d in new.deputies], ensure_ascii=False),
             new.templates_folder.strip(), new.logo_sha256, authority_pk),
        )
        if "internal_target_days" in changed:
            refresh_unacknowledged(conn, authority_pk)
        if "logo_sha256" in changed and new.logo_sha256 and (
            logo_bytes(conn, new.logo_sha256) is None
        ):  # raised inside the transaction: nothing is written
            raise StoreError("Paramètres non enregistrés : le fichier du logo n'est plus sur ce "
                             "poste ; choisissez l'image à nouveau.")
        if changed and shared:
            if "logo_sha256" in changed and new.logo_sha256:
                # The file first (the sync uploads it before pushing the mutation).
                conn.execute(
                    "INSERT OR IGNORE INTO sync_upload (sha256, authority_id, filename, "
                    "created_at) VALUES (?, ?, ?, ?)",
                    (new.logo_sha256, authority_id, LOGO_UPLOAD_NAME[sniff_logo(conn, new)],
                     iso(utc_now())),
                )
            args = AuthorityUpdateArgs.model_validate({
                "authority_id": authority_id,
                "fields": {name: after[name] for name in changed},
                "previous": {name: before[name] for name in changed},
            })
            columns = [c for name in changed for c in _COLUMNS[name]]
            enqueue(conn, MutationName.AUTHORITY_UPDATE, args, old.version, fields=columns)
    return changed


# --------------------------------------------------------------------------- logo

def sniff_logo(conn: sqlite3.Connection, settings: CommuneSettings) -> str:
    data = logo_bytes(conn, settings.logo_sha256) or b""
    return sniff(data[:16]) or "image/png"


# --------------------------------------------------------------------------- procedures


@dataclass(frozen=True)
class ProcedureEntry:
    """One procedure of the commune's catalogue; ``in_use`` counts the requests under it."""

    pk: int | None
    code: str
    name: str
    silence_rule: SilenceRule
    period: int
    unit: PeriodUnit
    required_documents: tuple[str, ...] = ()
    reply_templates: tuple[str, ...] = ()
    active: bool = True
    in_use: int = 0
    own: bool = True  # the commune's own (False: the shared demo catalogue)
    version: int = 0
    #: The service a new request of this procedure goes to ("" : none).
    default_service_id: str = ""

    def wire_values(self) -> dict[str, Any]:
        return {
            "code": self.code, "title": self.name, "silence_rule": self.silence_rule.value,
            # Without an implicit decision the period is unused: the wire wants one all the same.
            "period_value": max(self.period, 1), "period_unit": self.unit.value,
            "required_documents": list(self.required_documents),
            "reply_templates": list(self.reply_templates),
            "default_service_id": self.default_service_id,
        }


_SCOPE = (
    "p.deleted = 0 AND p.id != :placeholder AND (p.authority_pk = :authority "
    "OR (p.authority_pk IS NULL AND NOT :shared))"
)


def catalogue(conn: sqlite3.Connection, authority_pk: int) -> list[ProcedureEntry]:
    """The commune's procedures, active and retired, by name."""
    _id, shared = authority_ref(conn, authority_pk)
    rows = conn.execute(
        f"""SELECT p.pk, p.code, p.name, p.silence_rule, p.period, p.period_unit,
                   p.required_documents, p.reply_templates, p.active, p.authority_pk, p.version,
                   (SELECT COUNT(*) FROM request r WHERE r.procedure_pk = p.pk
                    AND r.deleted = 0) AS in_use, p.default_service_id
            FROM procedure p WHERE {_SCOPE} ORDER BY fold(p.name)""",
        {"authority": authority_pk, "shared": shared, "placeholder": PLACEHOLDER_PROCEDURE_ID},
    ).fetchall()
    return [_entry(r) for r in rows]


def _entry(r: Sequence[Any]) -> ProcedureEntry:
    return ProcedureEntry(
        pk=int(r[0]), code=r[1], name=r[2], silence_rule=SilenceRule(r[3]), period=int(r[4]),
        unit=PeriodUnit(r[5]), required_documents=tuple(json.loads(r[6] or "[]")),
        reply_templates=tuple(json.loads(r[7] or "[]")), active=bool(r[8]),
        own=r[9] is not None, version=int(r[10]), in_use=int(r[11]),
        default_service_id=r[12] or "",
    )


def check_procedure(entry: ProcedureEntry, others: Sequence[ProcedureEntry]) -> list[str]:
    """What is wrong with a procedure as entered (French; empty: fine)."""
    problems: list[str] = []
    if not entry.name.strip():
        problems.append("l'intitulé est obligatoire")
    if any(o.code == entry.code and o.pk != entry.pk for o in others):
        problems.append(f"le code « {entry.code} » est déjà celui d'une autre démarche")
    if not problems:
        try:
            ProcedureFields.model_validate(entry.wire_values())
        except ValueError as exc:
            reason = _first_reason(exc)
            if reason.startswith("code"):
                reason = ("le code ne peut contenir que des minuscules sans accents, des "
                          "chiffres et des tirets (ex. « occupation-terrasse »)")
            elif reason.startswith("period_value"):
                reason = "le délai va de 1 à 365"
            problems.append(reason)
    return problems


def save_procedure(
    conn: sqlite3.Connection, authority_pk: int, entry: ProcedureEntry, *, agent_id: str | None
) -> int:
    """Creates (``pk`` None) or edits a procedure of the commune; returns its pk.

    A new silence rule or period applies to requests received from now on: the requests
    already held keep theirs (``freeze_rules``)."""
    require_admin(conn, agent_id, authority_pk)
    others = catalogue(conn, authority_pk)
    problems = check_procedure(entry, others)
    if problems:
        raise StoreError("Démarche non enregistrée : " + " ; ".join(problems).rstrip(".") + ".")
    if entry.default_service_id:
        _check_default_service(conn, entry.default_service_id, authority_pk)
    authority_id, shared = authority_ref(conn, authority_pk)
    after = entry.wire_values()
    with transaction(conn):
        if entry.pk is None:
            procedure_id = new_id()
            cur = conn.execute(
                "INSERT INTO procedure (id, code, name, silence_rule, period, period_unit, "
                "required_documents, reply_templates, authority_pk, active, default_service_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                (procedure_id, entry.code, entry.name.strip(), entry.silence_rule.value,
                 entry.period, entry.unit.value,
                 json.dumps(list(entry.required_documents), ensure_ascii=False),
                 json.dumps(list(entry.reply_templates), ensure_ascii=False),
                 authority_pk if shared else None, entry.default_service_id),
            )
            pk, version, before = int(cur.lastrowid or 0), 0, {}
        else:
            old = next((o for o in others if o.pk == entry.pk), None)
            if old is None:
                raise StoreError("Cette démarche n'existe plus dans la base locale.")
            pk, version, before = entry.pk, old.version, old.wire_values()
            procedure_id = conn.execute("SELECT id FROM procedure WHERE pk = ?",
                                        (pk,)).fetchone()[0]
            if rule_changes(conn, pk, entry.silence_rule.value, entry.period, entry.unit.value):
                freeze_rules(conn, pk)
            conn.execute(
                "UPDATE procedure SET code = ?, name = ?, silence_rule = ?, period = ?, "
                "period_unit = ?, required_documents = ?, reply_templates = ?, "
                "default_service_id = ? WHERE pk = ?",
                (entry.code, entry.name.strip(), entry.silence_rule.value, entry.period,
                 entry.unit.value, json.dumps(list(entry.required_documents), ensure_ascii=False),
                 json.dumps(list(entry.reply_templates), ensure_ascii=False),
                 entry.default_service_id, pk),
            )
        changed = [name for name in after if after[name] != before.get(name)]
        if changed and shared:
            args = ProcedureUpsertArgs.model_validate({
                "id": procedure_id, "authority_id": authority_id,
                "fields": {name: after[name] for name in changed},
                "previous": {name: before[name] for name in changed if name in before},
            })
            enqueue(conn, MutationName.PROCEDURE_UPSERT, args, version,
                    fields=[_PROCEDURE_COLUMNS[name] for name in changed])
    return pk


_PROCEDURE_COLUMNS = {
    "code": "code", "title": "name", "silence_rule": "silence_rule", "period_value": "period",
    "period_unit": "period_unit", "required_documents": "required_documents",
    "reply_templates": "reply_templates", "default_service_id": "default_service_id",
}


def _check_default_service(conn: sqlite3.Connection, service_id: str, authority_pk: int) -> None:
    """The default service is one of the commune's active services (the server's rule)."""
    row = conn.execute(
        "SELECT name, active, authority_pk FROM service WHERE id = ? AND deleted = 0",
        (service_id,),
    ).fetchone()
    if row is None or int(row[2]) != authority_pk:
        raise StoreError("Démarche non enregistrée : ce service n'appartient pas à la commune.")
    if not row[1]:
        raise StoreError(f"Démarche non enregistrée : le service « {row[0]} » a été supprimé ; "
                         "choisissez-en un autre.")


def set_active(
    conn: sqlite3.Connection, authority_pk: int, procedure_pk: int, active: bool, *,
    agent_id: str | None,
) -> None:
    """Retires a procedure (no longer offered at intake; the requests under it keep it) or
    brings it back. A procedure is never deleted."""
    require_admin(conn, agent_id, authority_pk)
    _authority_id, shared = authority_ref(conn, authority_pk)
    with transaction(conn):
        row = conn.execute("SELECT id, version FROM procedure WHERE pk = ? AND deleted = 0",
                           (procedure_pk,)).fetchone()
        if row is None:
            raise StoreError("Cette démarche n'existe plus dans la base locale.")
        conn.execute("UPDATE procedure SET active = ? WHERE pk = ?", (int(active), procedure_pk))
        if shared:
            enqueue(conn, MutationName.PROCEDURE_RETIRE,
                    ProcedureRetireArgs(procedure_id=row[0], active=active), int(row[1]),
                    fields=["active"])


def blank_procedure() -> ProcedureEntry:
    """A new procedure: silence vaut accord after two months, the default rule (L231-1)."""
    return ProcedureEntry(pk=None, code="", name="", silence_rule=SilenceRule.ACCEPT, period=2,
                          unit=PeriodUnit.MONTHS)


def with_changes(entry: ProcedureEntry, values: Mapping[str, Any]) -> ProcedureEntry:
    return replace(entry, **values)


# --------------------------------------------------------------------------- conflicts

#: French names of the settings' and procedures' wire fields (the conflicts window).
SETTING_LABELS = {
    "name": "Nom de la commune", "address": "Adresse", "service_name": "Service",
    "service_email": "Courriel du service", "service_phone": "Téléphone du service",
    "mayor_name": "Maire", "mayor_title": "Qualité du maire",
    "administrative_court": "Tribunal administratif",
    "internal_target_days": "Délai interne d'accusé", "deputies": "Adjoints",
    "code": "Code de la démarche", "title": "Intitulé de la démarche",
    "silence_rule": "Silence de l'administration", "period_value": "Délai",
    "period_unit": "Unité du délai", "required_documents": "Pièces à fournir",
    "reply_templates": "Modèles de réponse",
}
_ENTRY_FIELDS = {"code": "code", "title": "name", "silence_rule": "silence_rule",
                 "period_value": "period", "period_unit": "unit",
                 "required_documents": "required_documents", "reply_templates": "reply_templates"}


def keep_local_value(
    conn: sqlite3.Connection, entity: str, row_id: str, field_name: str, value: Any, *,
    agent_id: str | None,
) -> None:
    """« Garder ma valeur » on a settings or procedure conflict: the admin's value becomes a
    new change, queued like any other (the role is checked again)."""
    if entity == "procedures":
        found = conn.execute("SELECT pk, authority_pk FROM procedure WHERE id = ?",
                             (row_id,)).fetchone()
        if found is None or found[1] is None or field_name not in _ENTRY_FIELDS:
            return
        entry = next(e for e in catalogue(conn, int(found[1])) if e.pk == int(found[0]))
        typed: Any = value
        if field_name == "silence_rule":
            typed = SilenceRule(value)
        elif field_name == "period_unit":
            typed = PeriodUnit(value)
        elif field_name in ("required_documents", "reply_templates"):
            typed = tuple(value or ())
        save_procedure(conn, int(found[1]), replace(entry, **{_ENTRY_FIELDS[field_name]: typed}),
                       agent_id=agent_id)
    elif entity == "authorities":
        found = conn.execute("SELECT pk FROM authority WHERE id = ?", (row_id,)).fetchone()
        if found is None:
            return
        settings = read_settings(conn, int(found[0]))
        attribute = {"service_email": "email", "service_phone": "phone"}.get(field_name,
                                                                             field_name)
        if field_name == "deputies":
            value = tuple(Deputy.from_wire(d) for d in value or ())
        elif field_name == "address":
            from desktop.store.sync_store import split_address

            street, postcode, city = split_address(value)
            settings = replace(settings, postcode=postcode, city=city)
            value = street
        if attribute in CommuneSettings.__dataclass_fields__:
            save_settings(conn, int(found[0]), replace(settings, **{attribute: value}),
                          agent_id=agent_id)


def conflict_subject(conn: sqlite3.Connection, entity: str, row_id: str) -> str | None:
    """What a settings or procedure conflict is about, in French (None: not one of ours)."""
    table = {"procedures": "procedure", "authorities": "authority"}.get(entity)
    if table is None:
        return None
    found = conn.execute(f"SELECT name FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return str(found[0]) if found else None


# --------------------------------------------------------------------------- parapheur


def signers(conn: sqlite3.Connection, authority_pk: int, request_pk: int) -> list[Official]:
    """The commune's élus for a parapheur circuit, the adjoint delegated for the request's
    procedure first (so proposed as signatory), when their account is linked in the settings."""
    from desktop.domain.signature import delegate_for
    from desktop.store.replies import officials

    found = officials(conn, authority_pk)
    code = conn.execute(
        "SELECT p.code FROM request r JOIN procedure p ON p.pk = r.procedure_pk WHERE r.pk = ?",
        (request_pk,),
    ).fetchone()
    deputy = delegate_for(read_settings(conn, authority_pk).deputies, code[0] if code else "")
    if deputy is None or deputy.agent_id is None:
        return found
    return sorted(found, key=lambda o: o.id != deputy.agent_id)
