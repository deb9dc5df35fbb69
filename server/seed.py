"""Initial data: authorities, agents with passwords, procedures, and an optional demo set of
French requests, so a newcomer gets a working server with one command."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.passwords import Passwords, policy_message
from server.db.database import Database
from server.db.models import Agent, AgentAuthority, Authority, Procedure
from server.db.types import utcnow
from server.services import citizens as citizen_service
from server.services import requests as request_service
from server.services.common import stamp
from sync.protocol.vocabulary import AuthorityKind, Channel, CitizenKind, Role, SilenceRule
from sync.protocol.wire import CitizenFields, RequestCreateArgs

#: Procedures every commune handles, with the implicit-decision rule of the law.
DEFAULT_PROCEDURES: tuple[tuple[str, str, SilenceRule, int, str], ...] = (
    ("etat-civil", "Demande d'acte d'état civil", SilenceRule.REJECT, 2, "months"),
    ("occupation-domaine", "Occupation temporaire du domaine public", SilenceRule.REJECT, 2,
     "months"),
    ("inscription-scolaire", "Inscription scolaire", SilenceRule.ACCEPT, 2, "months"),
    ("salle-communale", "Réservation de la salle communale", SilenceRule.ACCEPT, 1, "months"),
    ("signalement", "Signalement sur la voie publique", SilenceRule.NONE, 2, "months"),
    ("autorisation-debit-boisson", "Autorisation de débit de boissons temporaire",
     SilenceRule.ACCEPT, 2, "months"),
)


@dataclass
class SeedAgent:
    login: str
    display_name: str
    role: Role
    password: str
    authorities: list[str] = field(default_factory=list)  # INSEE codes
    #: A published demonstration password must be replaced at the first login.
    must_change_password: bool = False


@dataclass
class SeedAuthority:
    name: str
    insee_code: str
    department_code: str
    kind: AuthorityKind = AuthorityKind.COMMUNE
    siret: str | None = None
    address: str | None = None
    service_email: str | None = None
    service_phone: str | None = None


DEFAULT_AUTHORITIES = [
    SeedAuthority("Mairie de Saint-Rémy-sur-Aube", "10999", "10", address="1 place de la Mairie, "
                  "10100 Saint-Rémy-sur-Aube", service_email="mairie@saint-remy.example.fr",
                  service_phone="03 25 00 00 01"),
    SeedAuthority("Mairie de Bouxières-en-Moselle", "57999", "57", address="2 rue de l'Église, "
                  "57000 Bouxières-en-Moselle", service_email="accueil@bouxieres.example.fr",
                  service_phone="03 87 00 00 02"),
]

DEFAULT_AGENTS = [
    SeedAgent("secretaire", "Claire Martin", Role.CLERK, "Secretaire-2026!", ["10999", "57999"],
              must_change_password=True),
    SeedAgent("maire", "Jean Dupont", Role.OFFICIAL, "Maire-Signe-2026!", ["10999"],
              must_change_password=True),
    SeedAgent("admin", "Administrateur", Role.ADMIN, "Admin-Bannette-2026!", ["10999", "57999"],
              must_change_password=True),
]


def seed(
    db: Database,
    passwords: Passwords,
    authorities: list[SeedAuthority] | None = None,
    agents: list[SeedAgent] | None = None,
) -> dict[str, uuid.UUID]:
    """Idempotent: existing authorities (by INSEE code) and agents (by login) are kept."""
    ids: dict[str, uuid.UUID] = {}
    with db.write() as session:
        for spec in authorities or DEFAULT_AUTHORITIES:
            ids[spec.insee_code] = _authority(session, spec)
        for agent in agents or DEFAULT_AGENTS:
            refusal = policy_message(agent.password)
            if refusal:
                raise ValueError(f"mot de passe de {agent.login} : {refusal}")
            ids[agent.login] = _agent(session, passwords, agent, ids)
    return ids


def _authority(session: Session, spec: SeedAuthority) -> uuid.UUID:
    existing = session.execute(
        select(Authority).where(Authority.insee_code == spec.insee_code)
    ).scalar_one_or_none()
    if existing is not None:
        return existing.id
    row = Authority(
        id=uuid.uuid4(), name=spec.name, kind=spec.kind.value, insee_code=spec.insee_code,
        department_code=spec.department_code, siret=spec.siret, address=spec.address,
        service_name="Secrétariat de mairie", service_email=spec.service_email,
        service_phone=spec.service_phone, letterhead={"titre": spec.name},
    )
    session.add(stamp(session, row))
    for code, title, rule, value, unit in DEFAULT_PROCEDURES:
        session.add(stamp(session, Procedure(
            id=uuid.uuid4(), authority_id=row.id, code=code, title=title,
            silence_rule=rule.value, period_value=value, period_unit=unit, active=True,
        )))
    session.flush()
    return row.id


def _agent(
    session: Session, passwords: Passwords, spec: SeedAgent, ids: dict[str, uuid.UUID]
) -> uuid.UUID:
    existing = session.execute(select(Agent).where(Agent.login == spec.login)).scalar_one_or_none()
    if existing is not None:
        return existing.id
    row = Agent(
        id=uuid.uuid4(), login=spec.login, display_name=spec.display_name,
        role=spec.role.value, active=True, password_hash=passwords.hash(spec.password),
        must_change_password=spec.must_change_password,
    )
    row.memberships = [AgentAuthority(authority_id=ids[code], role=spec.role.value)
                       for code in spec.authorities]
    session.add(stamp(session, row))
    session.flush()
    return row.id


_SUBJECTS = (
    ("etat-civil", "Copie intégrale d'acte de naissance", Channel.SERVICE_PUBLIC),
    ("occupation-domaine", "Benne pour travaux devant le 12 rue des Tilleuls", Channel.WEB),
    ("inscription-scolaire", "Inscription en petite section à la rentrée", Channel.WEB),
    ("salle-communale", "Location de la salle des fêtes pour un anniversaire", Channel.PHONE),
    ("signalement", "Lampadaire éteint rue du Moulin", Channel.COUNTER),
    ("autorisation-debit-boisson", "Buvette de la fête du village", Channel.PAPER),
    ("signalement", "Nid-de-poule chemin de la Croix", Channel.EMAIL),
)


def seed_demo(db: Database, authority_id: uuid.UUID, count: int = 40, rng_seed: int = 7) -> int:
    """A realistic bannette: French citizens (Faker fr_FR) and requests on every channel.

    The random streams are seeded per commune (with its INSEE code): each commune gets its own
    requests, and the same ones on every run."""
    from faker import Faker

    with db.write() as session:
        insee_code = session.execute(
            select(Authority.insee_code).where(Authority.id == authority_id)
        ).scalar_one()
        commune_seed = f"{rng_seed}-{insee_code}"
        fake = Faker("fr_FR")
        fake.seed_instance(commune_seed)
        rng = random.Random(commune_seed)
        procedures = {
            p.code: p.id
            for p in session.execute(
                select(Procedure).where(Procedure.authority_id == authority_id)
            ).scalars()
        }
        for _ in range(count):
            citizen_id = uuid.uuid4()
            citizen_service.create_row(
                session, None, citizen_id, authority_id,
                CitizenFields(
                    kind=CitizenKind.PERSON, last_name=fake.last_name(),
                    first_name=fake.first_name(), email=fake.email(),
                    phone=fake.phone_number(), postal_address=fake.address().replace("\n", ", "),
                ),
            )
            code, subject, channel = rng.choice(_SUBJECTS)
            received = utcnow() - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 8))
            request_service.create(
                session, None,
                RequestCreateArgs(
                    id=uuid.uuid4(), authority_id=authority_id, channel=channel, subject=subject,
                    description=fake.paragraph(nb_sentences=3), procedure_id=procedures.get(code),
                    citizen_id=citizen_id, received_at=received,
                ),
                authority_checked=True,
                trusted_received_at=received,
            )
    return count


def seed_demo_mail(db: Database, authority_id: uuid.UUID) -> None:
    """The demonstration's outgoing mail: written as .eml files in the data folder
    (``courriels-envoyes``) instead of leaving, unless the commune already has settings."""
    from server.db.models import MailSettings
    from server.mail import settings as mail_settings

    with db.write() as session:
        authority = session.get(Authority, authority_id)
        if authority is None or session.get(MailSettings, authority_id) is not None:
            return
        mail_settings.configure(
            session, authority_id, transport="file",
            from_address=authority.service_email or "mairie@demo.example.fr",
            from_name=authority.name)
