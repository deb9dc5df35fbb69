"""FastAPI application factory."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from server import problems
from server.api import (
    agents,
    attachments,
    auth,
    authorities,
    citizens,
    connections,
    events,
    mailbox,
    messages,
    meta,
    parapheur,
    phone_calls,
    procedures,
    requests,
    rgpd,
    services,
    submissions,
    sync,
)
from server.api.submissions import MAX_SUBMISSION_BYTES
from server.auth.passwords import Passwords
from server.blobs import DiskBlobStore
from server.bodylimit import BodyLimitMiddleware
from server.compat import DesktopVersionMiddleware
from server.config import Settings
from server.connectors.parapheur.poller import ParapheurPoller, PollPolicy
from server.db.database import Database
from server.db.migrate import upgrade
from server.mail.intake_poller import mailbox_poller_for
from server.mail.sender import MailWorker, RetryPolicy
from server.ratelimit import SharedLimiter
from server.services.runtime import Runtime
from sync.protocol.vocabulary import MAX_ATTACHMENT_BYTES
from sync.protocol.wire import MAX_PUSH_BODY_BYTES, PROTOCOL_VERSION

API_PREFIX = "/api/v1"
log = logging.getLogger(__name__)


class Health(BaseModel):
    status: str = "ok"
    protocol: int = PROTOCOL_VERSION
    database: str


def _body_limit(path: str) -> int:
    if path.endswith("/submissions"):
        return MAX_SUBMISSION_BYTES + 1024 * 1024
    if path.endswith(("/attachments", "/blobs", "/folders")):
        return 11 * MAX_ATTACHMENT_BYTES // 2 + 64 * 1024
    if path.endswith("/sync/push"):
        return MAX_PUSH_BODY_BYTES
    return 16 * 1024 * 1024


def _die_with_parent() -> None:
    """A worker must not outlive the supervisor: after a ``kill -9`` of the master, orphaned
    workers would keep serving on the shared socket. Linux delivers SIGKILL to this worker
    when its parent dies (``PR_SET_PDEATHSIG``); elsewhere the supervisor's own handling holds."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def app_from_env() -> FastAPI:
    """The factory each worker of ``python -m server --workers N`` calls."""
    _die_with_parent()
    return create_app(Settings.from_env())


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    """Builds the app; migrations run here (start-up) unless ``settings.run_migrations`` is off."""
    settings = settings or Settings.from_env()
    db = database or Database(settings.database_url, echo=settings.echo_sql)
    if settings.run_migrations:
        upgrade(db.engine)

    blobs = DiskBlobStore(settings.blob_dir)
    mailer = MailWorker(
        db, blobs, settings.mail_drop_dir,
        RetryPolicy(delays=tuple(settings.mail_retry_delays), timeout=settings.smtp_timeout),
        poll_seconds=settings.mail_poll_seconds,
    )
    poller = ParapheurPoller(db, blobs, PollPolicy(stuck_after_days=settings.parapheur_stuck_days),
                             poll_seconds=settings.parapheur_poll_seconds)

    intake = mailbox_poller_for(db, blobs, settings)

    running = [0]  # lifespans may nest (several test clients on one app): stop at the last

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        running[0] += 1
        if settings.mail_sender:
            mailer.start()
        if settings.parapheur_poller:
            poller.start()
        if settings.mailbox_poller:
            intake.start()
        try:
            yield
        finally:
            running[0] -= 1
            if running[0] == 0:
                mailer.stop()
                poller.stop()
                intake.stop()
            if database is None:
                db.dispose()

    app = FastAPI(
        title="bannette — API centrale",
        version="1.0.0",
        description="API de référence avec laquelle le client de bureau bannette se synchronise.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.blobs = blobs
    app.state.mailer = mailer
    app.state.poller = poller
    app.state.mailbox_poller = intake
    app.state.runtime = Runtime(blobs, mailer, poller)
    app.state.passwords = Passwords(
        settings.argon2_time_cost, settings.argon2_memory_cost_kib, settings.argon2_parallelism,
        concurrency=settings.hash_concurrency,
    )
    # In the database: every worker process counts in the same place.
    app.state.login_limiter = SharedLimiter(
        db, "login", settings.login_max_failures, settings.login_window_seconds
    )
    app.state.login_ip_limiter = SharedLimiter(
        db, "login-ip", settings.login_max_failures_per_ip, settings.login_window_seconds
    )
    app.state.submission_limiter = SharedLimiter(
        db, "submission", settings.submission_max_per_window, settings.submission_window_seconds
    )
    problems.install(app)
    app.add_middleware(BodyLimitMiddleware, limit_for=_body_limit)
    app.add_middleware(DesktopVersionMiddleware, minimum=settings.min_desktop_version)
    for module in (
        auth, authorities, agents, procedures, requests, events, messages, citizens,
        phone_calls, attachments, parapheur,
        sync, submissions, meta, mailbox, services, rgpd, connections,
    ):
        app.include_router(module.router, prefix=API_PREFIX)

    def custom_openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.document_common_problems(
                get_openapi(title=app.title, version=app.version, description=app.description,
                            routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]

    @app.get("/health", response_model=Health, tags=["supervision"])
    def health() -> Health:
        return Health(database=db.dialect)

    return app
