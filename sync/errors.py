"""Failure classes of a sync, each with the French sentence the secrétaire reads.

The engine never lets a network or server problem touch the outbox: every class here means
"nothing was lost, the queue is kept"; only the advice differs (wait, call the support,
log in again).
"""

from __future__ import annotations


class SyncError(Exception):
    """Base class: ``message`` is French and complete enough to be shown as is."""

    #: Whether retrying later may succeed without anybody acting (network, server restart).
    transient = True

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OfflineError(SyncError):
    """No answer at all: no route, refused connection, time-out, connection cut mid-answer."""


class ServerError(SyncError):
    """The server answered but failed (5xx), or kept asking to wait (429) beyond our patience."""


class BadResponseError(SyncError):
    """An answer that is not the API's: an HTML page of a proxy, truncated JSON, wrong schema."""


class SessionExpiredError(SyncError):
    """401 and the refresh failed too: the user must log in again (local work is kept)."""

    transient = False

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class AccessDeniedError(SyncError):
    """403: the account may not do this (role, authority, another agent's PC)."""

    transient = False


class PasswordChangeRequiredError(AccessDeniedError):
    """403 « changez votre mot de passe »: the account still has a password chosen by someone
    else (initial or reset); nothing syncs before the agent chooses their own."""


class RequestRefusedError(SyncError):
    """Another 4xx: the client sent something the server will never accept as is."""

    transient = False

    def __init__(self, message: str, *, status: int = 0, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        #: The server's own sentence, without our framing (for lists of refusals).
        self.detail = detail


class ProtocolMismatchError(SyncError):
    """The server speaks another version of the wire contract."""

    transient = False


class UpgradeRequiredError(ProtocolMismatchError):
    """426: the server no longer accepts this version of the desktop. Nothing was sent;
    syncing stops until the software is updated."""


# Texts shared by the classes above, kept together so their wording stays consistent.
QUEUE_KEPT = "Les modifications restent en attente et partiront à la prochaine synchronisation."


def offline(server: str, detail: str) -> OfflineError:
    return OfflineError(f"Hors ligne : le serveur {server} ne répond pas ({detail}). {QUEUE_KEPT}")


def server_error(status: int, detail: str | None) -> ServerError:
    extra = f" : {detail}" if detail else ""
    return ServerError(f"Le serveur est en erreur (code {status}){extra}. {QUEUE_KEPT}")


def bad_response(what: str) -> BadResponseError:
    return BadResponseError(
        f"Réponse illisible du serveur : {what}. Un intermédiaire (proxy, pare-feu) ou une "
        f"adresse de serveur erronée peut en être la cause. {QUEUE_KEPT}"
    )


def session_expired(detail: str | None = None) -> SessionExpiredError:
    reason = detail or "Session expirée"
    return SessionExpiredError(
        f"{reason.rstrip('.')} : reconnectez-vous. Le travail fait sur ce poste est conservé.",
        detail,
    )


def upgrade_required(detail: str | None) -> UpgradeRequiredError:
    reason = f" ({detail.rstrip('.')})" if detail else ""
    return UpgradeRequiredError(
        f"Ce poste doit être mis à jour : le serveur n'accepte plus cette version de "
        f"Bannette{reason}. Les modifications faites sur ce poste sont conservées et partiront "
        "une fois le logiciel mis à jour ; la synchronisation est suspendue d'ici là."
    )


def access_denied(detail: str | None) -> AccessDeniedError:
    return AccessDeniedError(
        f"Accès refusé : {detail or 'ce compte ne peut pas faire cette opération'}. {QUEUE_KEPT}"
    )


def password_change_required(detail: str | None) -> PasswordChangeRequiredError:
    return PasswordChangeRequiredError(
        (detail or "Vous devez changer votre mot de passe avant de continuer.") + " " + QUEUE_KEPT
    )
