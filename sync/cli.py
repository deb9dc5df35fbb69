"""Headless sync: ``python -m sync --once`` or ``--watch``, without the window.

Credentials: the login comes from ``--login`` or ``BANNETTE_SYNC_LOGIN``; the session is
resumed from the refresh token kept in the OS keyring (never in a file); failing that, the
password comes from ``BANNETTE_SYNC_PASSWORD`` or from the keyring entry
``bannette`` / ``<server>|<login>|password``.

The local store is the desktop's database. ``sync/`` does not import the desktop: the store
factory is named by ``--store`` (``module:function``, default
``desktop.store.sync_store:SqliteSyncStore.open``) and resolved here, at the composition root.

Exit codes: 0 synced; 1 transient failure (offline, server error: the queue is kept);
2 action needed (log in again, access refused, bad arguments).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from sync import errors, transfers
from sync.client import ApiClient
from sync.engine import SyncEngine, SyncReport
from sync.protocol.wire import DEFAULT_PULL_LIMIT, TokenPair
from sync.store import LAST_SYNC_AT, LocalStore
from sync.transfers import BlobStore

log = logging.getLogger("sync")

DEFAULT_STORE = "desktop.store.sync_store:SqliteSyncStore.open"
KEYRING_SERVICE = "bannette"
LOGIN_ENV = "BANNETTE_SYNC_LOGIN"
PASSWORD_ENV = "BANNETTE_SYNC_PASSWORD"
SERVER_ENV = "BANNETTE_SYNC_SERVER"
DATABASE_ENV = "BANNETTE_DATABASE"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sync", description="Synchronise la base locale avec l'API centrale."
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="une synchronisation puis s'arrête")
    mode.add_argument("--watch", action="store_true",
                      help="synchronise en boucle (voir --interval)")
    mode.add_argument("--status", action="store_true",
                      help="affiche la file d'attente, les refus et les conflits, sans réseau")
    parser.add_argument("--server", default=os.environ.get(SERVER_ENV, "http://127.0.0.1:8765"),
                        help=f"adresse de l'API (${SERVER_ENV})")
    parser.add_argument("--database", default=os.environ.get(DATABASE_ENV),
                        help=f"base locale (${DATABASE_ENV})")
    parser.add_argument("--login", default=os.environ.get(LOGIN_ENV), help=f"(${LOGIN_ENV})")
    parser.add_argument("--interval", type=float, default=30.0,
                        help="--watch : secondes entre deux synchronisations (30)")
    parser.add_argument("--download", metavar="ID_PIECE",
                        help="télécharge une pièce jointe dans le cache (reprend un "
                             "téléchargement interrompu) et affiche son chemin")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PULL_LIMIT)
    parser.add_argument("--store", default=DEFAULT_STORE, help=argparse.SUPPRESS)
    parser.add_argument("--verbose", "-v", action="store_true")
    return parser


def _resolve(spec: str) -> Callable[[str], LocalStore]:
    module_name, _, attribute = spec.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    factory: Callable[[str], LocalStore] = target
    return factory


# --- keyring -------------------------------------------------------------------------------
def _keyring_get(key: str) -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, key)
    except Exception as exc:  # no backend on a headless machine: simply not available
        log.debug("keyring unavailable: %s", exc)
        return None


#: Why the session will not survive (the window's status bar, the command's stderr).
KEYRING_LOCKED = (
    "Le trousseau de mots de passe du système est verrouillé : la connexion au serveur ne sera "
    "pas mémorisée sur ce poste, le mot de passe sera demandé au prochain démarrage."
)
KEYRING_UNAVAILABLE = (
    "Le trousseau de mots de passe du système est inaccessible : la connexion au serveur ne "
    "sera pas mémorisée sur ce poste, le mot de passe sera demandé au prochain démarrage."
)


def keyring_problem(exc: Exception) -> str:
    """The French sentence for a keyring failure (locked; no backend or bus unreachable: the
    technical reason goes to the log, it means nothing to a secrétaire)."""
    from keyring.errors import KeyringLocked

    return KEYRING_LOCKED if isinstance(exc, KeyringLocked) else KEYRING_UNAVAILABLE


_told_keyring = False


def _keyring_set(key: str, value: str | None) -> None:
    global _told_keyring
    try:
        import keyring

        if value is None:
            with contextlib.suppress(Exception):  # nothing to forget
                keyring.delete_password(KEYRING_SERVICE, key)
        else:
            keyring.set_password(KEYRING_SERVICE, key, value)
    except Exception as exc:
        log.debug("keyring unavailable: %s", exc)
        if not _told_keyring:  # once a run: every token rotation would say it again
            _told_keyring = True
            print(keyring_problem(exc), file=sys.stderr, flush=True)


def session_key(server: str, login: str) -> str:
    return f"{server.rstrip('/')}|{login}"


def open_session(client: ApiClient, server: str, login: str) -> TokenPair:
    """Refresh token from the keyring first (no password needed), then the password."""
    token = _keyring_get(session_key(server, login))
    if token:
        try:
            return client.refresh(token)
        except errors.SessionExpiredError:
            _keyring_set(session_key(server, login), None)
    password = os.environ.get(PASSWORD_ENV) or _keyring_get(
        session_key(server, login) + "|password"
    )
    if not password:
        raise errors.session_expired(
            f"Aucun mot de passe pour « {login} » (variable {PASSWORD_ENV} ou trousseau du "
            "système)"
        )
    return client.login(login, password)


def _print_report(report: SyncReport) -> None:
    print(
        f"Synchronisation terminée : {report.applied} modification(s) envoyée(s), "
        f"{report.rejected} refusée(s), {report.conflicts} conflit(s), "
        f"{report.pulled_rows} ligne(s) reçue(s) en {report.pages} page(s) ; "
        f"{report.pending} en attente." + (" Base réinitialisée." if report.rebootstrapped else ""),
        flush=True,
    )
    for reason in report.rejections:
        print(f"  refusée : {reason}", flush=True)


def _print_status(store: LocalStore) -> None:
    """What waits, what was refused and what collides, read from the local database only."""
    print(f"Modifications en attente : {store.pending_count()}")
    print(f"Dernière synchronisation : {store.get_state(LAST_SYNC_AT) or 'jamais'}")
    conn = getattr(store, "conn", None)
    if conn is None:
        return
    for mutation_id, name, reason in conn.execute(
        "SELECT mutation_id, name, reason FROM sync_outbox WHERE state = 'rejected' "
        "ORDER BY mutation_id"
    ):
        print(f"Refusée n° {mutation_id} ({name}) : {reason}")
    for field, local, remote in conn.execute(
        "SELECT field, local_value, server_value FROM sync_conflict WHERE resolved_at IS NULL "
        "ORDER BY pk"
    ):
        print(f"Conflit sur « {field} » : serveur {remote} (retenu), poste {local}")


def _download(
    client: ApiClient, server: str, login: str, blobs: BlobStore | None, attachment_id: str
) -> int:
    sha256 = blobs.attachment_sha256(attachment_id) if blobs is not None else None
    if blobs is None or sha256 is None:
        print(f"Pièce jointe inconnue sur ce poste : {attachment_id} (synchronisez d'abord).",
              file=sys.stderr)
        return 2
    try:
        path = transfers.cached(blobs, sha256)
        if path is None:  # offline, a cached file still answers
            open_session(client, server, login)
            path = transfers.download(client, blobs, attachment_id, sha256)
    except errors.SyncError as exc:
        print(exc.message, file=sys.stderr, flush=True)
        return 1 if exc.transient else 2
    print(path, flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s %(message)s")
    if not args.database:
        print(f"Indiquez la base locale (--database ou ${DATABASE_ENV}).", file=sys.stderr)
        return 2
    store = _resolve(args.store)(args.database)
    if args.status:
        try:
            _print_status(store)
        finally:
            close_store = getattr(store, "close", None)
            if close_store is not None:
                close_store()
        return 0
    if not args.login:
        print(f"Indiquez l'identifiant (--login ou ${LOGIN_ENV}).", file=sys.stderr)
        return 2
    server = args.server.rstrip("/")
    key = session_key(server, args.login)

    def keep_tokens(pair: TokenPair | None) -> None:
        _keyring_set(key, pair.refresh_token if pair else None)

    client = ApiClient(server, on_tokens=keep_tokens)
    blobs = store if isinstance(store, BlobStore) else None
    engine = SyncEngine(store, client, page_limit=args.page_size, blobs=blobs)
    if args.download:
        try:
            return _download(client, server, args.login, blobs, args.download)
        finally:
            client.close()
            store_close = getattr(store, "close", None)
            if store_close is not None:
                store_close()
    code = 0
    try:
        while True:
            try:
                if client.tokens is None:
                    engine.bind_agent(open_session(client, server, args.login).agent)
                _print_report(engine.sync_once())
                code = 0
            except errors.SyncError as exc:
                print(exc.message, file=sys.stderr, flush=True)
                code = 1 if exc.transient else 2
                if not exc.transient:
                    return code
            if not args.watch:
                return code
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return code
    finally:
        client.close()
        close = getattr(store, "close", None)
        if close is not None:
            close()
