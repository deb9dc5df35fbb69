"""« Demandes à examiner »: the secrétaire asks an official's opinion on a request; the
official answers (an avis: favourable, unfavourable, reserved) on their desk. Both are events
of the request's history; an official only answers the questions asked of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server import audit
from server.access import Action, Principal, authorize, id_taken
from server.db.models import Event
from server.problems import ProblemError, forbidden
from server.services import parapheur
from server.services import requests as request_service
from server.services.common import Change, add_event
from sync.protocol.vocabulary import EventKind, Role
from sync.protocol.wire import Entity, RequestAskOpinionArgs, RequestGiveOpinionArgs


def ask(session: Session, principal: Principal, args: RequestAskOpinionArgs,
        base_version: int | None) -> Change:
    request = request_service.load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, request.authority_id)
    if principal.role_in(request.authority_id) is Role.OFFICIAL:
        raise forbidden("Seul le secrétariat demande l'avis d'un élu.")
    if session.get(Event, args.id) is not None:
        raise id_taken()
    parapheur.check_official(session, request.authority_id, args.official_id,
                             "L'avis ne peut être demandé qu'à un élu de la collectivité.")
    event = add_event(session, request.authority_id, request.id, EventKind.OPINION_REQUESTED,
                      principal, {"official_id": str(args.official_id),
                                  "question": args.question, "ask_id": str(args.id)},
                      event_id=args.id)
    audit.record(session, principal, "ask_opinion", "requests", request.id,
                 request.authority_id)
    return Change(Entity.EVENTS, event)


def give(session: Session, principal: Principal, args: RequestGiveOpinionArgs,
         base_version: int | None) -> Change:
    request = request_service.load(session, principal, args.request_id)
    authorize(principal, Action.WRITE, request.authority_id)
    if session.get(Event, args.id) is not None:
        raise id_taken()
    question = session.get(Event, args.ask_id)
    if (question is None or question.request_id != request.id
            or question.kind != EventKind.OPINION_REQUESTED.value):
        raise ProblemError(404, "Cette demande d'avis est introuvable.")
    if question.data.get("official_id") != str(principal.agent_id):
        raise forbidden("Cet avis a été demandé à un autre élu.")
    answers = session.execute(
        select(Event).where(Event.request_id == request.id,
                            Event.kind == EventKind.OPINION_GIVEN.value)
    ).scalars()
    if any(a.data.get("ask_id") == str(args.ask_id) for a in answers):
        raise ProblemError(409, "Vous avez déjà donné votre avis sur cette question.")
    event = add_event(session, request.authority_id, request.id, EventKind.OPINION_GIVEN,
                      principal, {"official_id": str(principal.agent_id),
                                  "opinion": args.opinion, "comment": args.comment,
                                  "ask_id": str(args.ask_id)},
                      event_id=args.id)
    audit.record(session, principal, "give_opinion", "requests", request.id,
                 request.authority_id, {"opinion": args.opinion})
    return Change(Entity.EVENTS, event)
