"""The sync worker: its own QThread, its own SQLite connection, its own HTTP client.

The window never waits for the network. It asks for a sync (a queued signal), keeps
painting, and hears back through signals delivered on the GUI thread: progress, the report,
or a French message (and whether the login dialog is needed). The SQLite connection is opened
*inside* the worker thread (connections are bound to their thread); WAL lets the window read
while the worker writes.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from desktop.domain.legal_time import legal_today
from desktop.store.database import StoreError, connect
from desktop.store.legal import record_implicit_decisions
from desktop.store.outbox import pending_count
from desktop.store.sync_store import SqliteSyncStore
from desktop.syncing.demo_server import DEMO_LOGIN, DemoServer
from desktop.syncing.session import TokenVault
from desktop.syncing.status import Connectivity, SyncStatus
from desktop.version import app_version
from sync import errors
from sync.client import ApiClient, RetryPolicy
from sync.engine import SyncEngine, SyncReport
from sync.protocol.wire import AgentRow, Entity, TokenPair
from sync.store import LAST_SYNC_AT, SERVER_URL
from sync.transfers import download

log = logging.getLogger(__name__)

LOGIN_KEY = "login"
INTERRUPTED = "Synchronisation interrompue à la fermeture."
#: Delay between a local change and its sync when online (a burst of changes goes together).
SOON_MS = 2_000
#: Share of the progress bar given to sending (the rest is receiving).
PUSH_SHARE = 30

NOT_LOGGED_IN_FOR_DOWNLOAD = "Connectez-vous au serveur pour télécharger cette pièce."
DOWNLOAD_CANCELLED = "Téléchargement annulé."
#: What a failed download keeps, in place of the sync's « modifications en attente ».
DOWNLOAD_KEPT = (
    "Réessayez au retour de la connexion : le téléchargement reprendra là où il s'est arrêté."
)


#: An online-only screen opened without a session.
OFFLINE_SCREEN = (
    "Cet écran a besoin du serveur : connectez-vous (« Synchronisation › Se connecter au "
    "serveur ») puis recommencez."
)


class DownloadCancelled(Exception):
    """Raised from the progress callback: the bytes received so far stay in the ``.part``."""


def download_message(exc: errors.SyncError) -> str:
    """The sync's French sentence, with the advice that fits a download."""
    message = exc.message.replace(errors.QUEUE_KEPT, "").strip()
    if isinstance(exc, errors.SessionExpiredError | errors.AccessDeniedError):
        return message
    if isinstance(exc, errors.BadResponseError):
        return message  # a damaged file is dropped: the next try starts from zero
    return f"{message} {DOWNLOAD_KEPT}"


class SyncWorker(QObject):
    """Lives on the sync thread. Slots run there; signals are queued to the GUI thread."""

    progressed = Signal(int)
    succeeded = Signal(object)  # SyncReport
    failed = Signal(str, bool)  # French message, login needed
    loggedIn = Signal(str)  # agent display name
    loginFailed = Signal(str)  # French message; the session that was there goes on
    sessionNotKept = Signal(str)  # French message: the keyring refused the session
    downloadProgress = Signal(str, int, int)  # attachment id, bytes done, bytes in all
    downloaded = Signal(str, str)  # attachment id, path of the file in the cache
    downloadFailed = Signal(str, str)  # attachment id, French message
    upgradeRequired = Signal(str)  # French message: the server refuses this version (426)
    serverInfo = Signal(object)  # sync.protocol.wire.ServerInfo, once per session
    passwordChangeNeeded = Signal(str)  # French message: nothing syncs before the change
    passwordChanged = Signal()
    passwordChangeFailed = Signal(str)  # French reason (the server's rules)
    apiAnswered = Signal(int, object)  # ticket, parsed JSON answer
    apiFailed = Signal(int, str)  # ticket, French message

    def __init__(
        self, database: Path, vault: TokenVault, retry: RetryPolicy | None = None,
        timeout: float | None = None, today: Callable[[], date] = legal_today,
    ) -> None:
        super().__init__()
        self._database = database
        self._vault = vault
        self._today = today
        self._retry = retry
        self._timeout = timeout
        self._store: SqliteSyncStore | None = None
        self._client: ApiClient | None = None
        self._demo: DemoServer | None = None
        self._server_info_known = False
        #: Set from the GUI thread at close: the sync stops after the page being written.
        self.cancelled = threading.Event()
        #: Set when the app quits: nothing on this thread waits any more (demo server).
        self.leaving = threading.Event()
        #: Downloads the user gave up (set from the GUI thread, read between two chunks).
        self._dropped: set[str] = set()
        self._dropped_lock = threading.Lock()

    # --- plumbing (worker thread only) ------------------------------------------------------
    def _open_store(self) -> SqliteSyncStore:
        if self._store is None:
            self._store = SqliteSyncStore(connect(self._database))
        return self._store

    def _new_client(self, server: str, login: str) -> ApiClient:
        if self._client is not None:
            self._client.close()
        self._client = self._make_client(server, login)
        return self._client

    def _make_client(self, server: str, login: str) -> ApiClient:
        """A client of its own: a login attempt must not touch the session that works."""

        def keep(pair: TokenPair | None) -> None:
            self._vault.save(server, login, pair.refresh_token if pair else None)

        options: dict[str, object] = {
            "on_tokens": keep, "sleep": self._pause, "client_version": app_version(),
        }
        if self._retry is not None:
            options["retry"] = self._retry
        if self._timeout is not None:
            options["timeout"] = self._timeout
        return ApiClient(server, **options)  # type: ignore[arg-type]

    def _pause(self, seconds: float) -> None:
        """The client's wait before another attempt (up to a minute when the server says
        « Retry-After »), cut short when the app closes."""
        if self.cancelled.wait(seconds):
            raise errors.SyncError(INTERRUPTED)

    def _progress(self, phase: str, done: int, total: int) -> None:
        if self.cancelled.is_set():
            # Called between two committed steps: stopping here loses nothing.
            raise errors.SyncError(INTERRUPTED)
        share = done / total if total else 1.0
        percent = share * PUSH_SHARE if phase == "push" else PUSH_SHARE + share * (100 - PUSH_SHARE)
        self.progressed.emit(int(percent))

    def _engine(self, client: ApiClient) -> SyncEngine:
        store = self._open_store()
        return SyncEngine(store, client, progress=self._progress, blobs=store)

    # --- slots --------------------------------------------------------------------------------
    @Slot(str, str, str)
    def login(self, server: str, login: str, password: str) -> None:
        """A failed attempt (wrong password, server unreachable) changes nothing: the session
        that worked goes on, and only the dialog says why (``loginFailed``)."""
        server = server.strip().rstrip("/")
        client = self._make_client(server, login)
        try:
            pair = client.login(login, password)
            self._engine(client).bind_agent(pair.agent)
        except errors.SyncError as exc:
            client.close()
            self.loginFailed.emit(exc.message)
            return
        if self._client is not None:
            self._client.close()
        self._client = client
        store = self._open_store()
        store.set_state({SERVER_URL: server, LOGIN_KEY: login})
        self._know_agent(pair.agent)
        self.loggedIn.emit(pair.agent.display_name)
        self._tell_keyring_problem()
        self.sync()

    def _tell_keyring_problem(self) -> None:
        """A locked or unreachable keyring: the work goes on (the session stays in memory),
        but the secrétaire learns why the password will be asked again."""
        problem = self._vault.take_problem()
        if problem:
            self.sessionNotKept.emit(problem)

    def _know_agent(self, agent: AgentRow) -> None:
        """The session's agent is in the local database from the login on, so what is done
        before the first pull already bears their name (not the demo's local agent)."""
        self._open_store().apply_rows(Entity.AGENTS, [agent])

    def _session(self) -> ApiClient | None:
        """The logged-in client, resumed from the keyring if need be; None if never logged in."""
        return self._client if self._client and self._client.tokens else self._resume()

    def _learn_server_info(self, client: ApiClient) -> None:
        """The server's protocol and oldest accepted desktop, for « À propos ». A server
        without ``/meta`` (older) is no reason to stop: the sync says the rest."""
        if self._server_info_known:
            return
        try:
            info = client.server_info()
        except errors.UpgradeRequiredError:
            raise
        except errors.SyncError as exc:
            log.info("server info unavailable: %s", exc.message)
            return
        self._server_info_known = True
        self.serverInfo.emit(info)

    @Slot()
    def sync(self) -> None:
        try:
            client = self._session()
            if client is None:
                self.failed.emit("Connectez-vous au serveur pour synchroniser.", True)
                return
            self._learn_server_info(client)
            report = self._engine(client).sync_once()
            self._tell_keyring_problem()  # a token rotated during the sync
            if report.pulled_rows:
                self._record_implicit_decisions()
        except errors.UpgradeRequiredError as exc:
            # Refused before anything was sent or received: the outbox stays whole.
            self.upgradeRequired.emit(exc.message)
            return
        except errors.PasswordChangeRequiredError as exc:
            self.failed.emit(exc.message, False)
            self.passwordChangeNeeded.emit(exc.message)
            return
        except errors.SyncError as exc:
            login_needed = isinstance(exc, errors.SessionExpiredError)
            self.failed.emit(exc.message, login_needed)
            return
        except sqlite3.Error as exc:
            log.exception("local database error during sync")
            self.failed.emit(f"Erreur de la base locale pendant la synchronisation : {exc}", False)
            return
        self.succeeded.emit(report)

    def _record_implicit_decisions(self) -> None:
        """Requests that just arrived may already be past their decision date: recorded here,
        off the GUI thread (the sweep reads every open request: ~0.1 s at 100,000), and queued
        for the server; the controller sends them at once."""
        try:
            record_implicit_decisions(self._open_store().conn, self._today())
        except StoreError:
            log.exception("implicit decisions could not be recorded after the sync")

    def _resume(self) -> ApiClient | None:
        """A session kept in the keyring: no password asked at start-up."""
        store = self._open_store()
        server, login = store.get_state(SERVER_URL), store.get_state(LOGIN_KEY)
        if not server or not login:
            return None
        token = self._vault.load(server, login)
        if not token:
            return None
        client = self._new_client(server, login)
        try:
            pair = client.refresh(token)
        except errors.SessionExpiredError:
            self._vault.save(server, login, None)  # revoked or expired: forget it
            raise
        self._engine(client).bind_agent(pair.agent)
        self._know_agent(pair.agent)
        return client

    @Slot(str, str)
    def download(self, attachment_id: str, sha256: str) -> None:
        """Fetches one attachment into the cache (resuming a cut download), verified by its
        SHA-256. Queued behind a sync that is running: this thread does one job at a time."""
        if self._take_dropped(attachment_id):
            self.downloadFailed.emit(attachment_id, DOWNLOAD_CANCELLED)
            return

        def progress(done: int, total: int) -> None:
            if self.cancelled.is_set() or self._take_dropped(attachment_id):
                raise DownloadCancelled
            self.downloadProgress.emit(attachment_id, done, total)

        try:
            client = self._session()
            if client is None:
                self.downloadFailed.emit(attachment_id, NOT_LOGGED_IN_FOR_DOWNLOAD)
                return
            path = download(client, self._open_store(), attachment_id, sha256, progress)
        except DownloadCancelled:
            self.downloadFailed.emit(attachment_id, DOWNLOAD_CANCELLED)
            return
        except errors.SyncError as exc:
            self.downloadFailed.emit(attachment_id, download_message(exc))
            return
        except (OSError, sqlite3.Error) as exc:
            log.exception("attachment %s could not be written to the cache", attachment_id)
            self.downloadFailed.emit(
                attachment_id, f"La pièce n'a pas pu être enregistrée sur ce poste : {exc}"
            )
            return
        self.downloaded.emit(attachment_id, str(path))

    def drop_download(self, attachment_id: str) -> None:
        """Thread-safe, called from the GUI thread: the download stops at its next chunk (or
        never starts), keeping what it received for next time."""
        with self._dropped_lock:
            self._dropped.add(attachment_id)

    def keep_download(self, attachment_id: str) -> None:
        """Thread-safe: the user asks for it again, an earlier « Annuler » no longer holds."""
        with self._dropped_lock:
            self._dropped.discard(attachment_id)

    def _take_dropped(self, attachment_id: str) -> bool:
        with self._dropped_lock:
            if attachment_id in self._dropped:
                self._dropped.discard(attachment_id)
                return True
            return False

    @Slot()
    def start_demo(self) -> None:
        """``--demo``: the reference server in the background, then the demo account."""
        try:
            if self._demo is None:
                self._demo = DemoServer()
            url = self._demo.ensure()
        except errors.SyncError as exc:
            self.failed.emit(exc.message, False)
            return
        self.login(url, *DEMO_LOGIN)

    @Slot()
    def logout(self) -> None:
        if self._client is not None:
            self._client.logout()

    @Slot(str, str)
    def change_password(self, current: str, new: str) -> None:
        """The agent's own password (issue 11): the server revokes every session on success,
        so the worker logs in again with the new one, then syncs what waited."""
        store = self._open_store()
        server, login = store.get_state(SERVER_URL), store.get_state(LOGIN_KEY)
        try:
            client = self._session()
            if client is None or not server or not login:
                raise errors.session_expired("Connectez-vous au serveur pour changer le mot de "
                                             "passe.")
            client.change_password(current, new)
            pair = client.login(login, new)
            self._engine(client).bind_agent(pair.agent)
        except errors.SyncError as exc:
            detail = getattr(exc, "detail", None)
            self.passwordChangeFailed.emit(detail or exc.message)
            return
        self.passwordChanged.emit()
        self.sync()

    @Slot(int, str, str, object)
    def api_call(self, ticket: int, method: str, path: str, body: object) -> None:
        """One REST call of an online-only screen (agents, server connections), with the
        session of the sync, on this thread: the window never waits for the network."""
        try:
            client = self._session()
            if client is None:
                raise errors.session_expired(OFFLINE_SCREEN)
            answer = client.rest(method, path, body)
        except errors.SyncError as exc:
            detail = getattr(exc, "detail", None)
            self.apiFailed.emit(ticket, detail or exc.message.replace(errors.QUEUE_KEPT, "")
                                .strip())
            return
        self.apiAnswered.emit(ticket, answer)

    def interrupt(self) -> None:
        """Thread-safe, from the GUI thread when the app quits: the running sync stops at its
        next step or pause, and the demo server is told to go without anyone waiting."""
        self.leaving.set()
        self.cancelled.set()
        demo = self._demo
        if demo is not None:
            demo.interrupt()

    @Slot()
    def shutdown(self) -> None:
        if self._demo is not None:
            self._demo.stop(wait=not self.leaving.is_set())
            self._demo = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._store is not None:
            self._store.close()
            self._store = None
        # Quit from inside, after this queued call ran: a quit() from the GUI thread could
        # stop the loop before the call is delivered and leave the connection open.
        thread = QThread.currentThread()
        if thread is not QCoreApplication.instance().thread():  # type: ignore[union-attr]
            thread.quit()


class SyncController(QObject):
    """GUI-thread side: starts the thread, asks for syncs, keeps the status up to date."""

    statusChanged = Signal(object)  # SyncStatus
    loginNeeded = Signal(str)  # why
    synced = Signal(object)  # SyncReport, e.g. to refresh the bannette and notify
    failed = Signal(str)  # French message (status line, tooltip)
    loggedIn = Signal(str)
    sessionNotKept = Signal(str)  # French message: the session lives in memory only
    downloadProgress = Signal(str, int, int)  # attachment id, bytes done, bytes in all
    downloaded = Signal(str, str)  # attachment id, path in the cache
    downloadFailed = Signal(str, str)  # attachment id, French message

    _requestSync = Signal()
    _requestDownload = Signal(str, str)
    _requestLogin = Signal(str, str, str)
    _requestLogout = Signal()
    _requestDemo = Signal()
    _requestShutdown = Signal()
    _requestPasswordChange = Signal(str, str)
    _requestApi = Signal(int, str, str, object)
    passwordChangeNeeded = Signal(str)
    passwordChanged = Signal()
    passwordChangeFailed = Signal(str)

    def __init__(
        self,
        database: Path,
        conn: sqlite3.Connection,
        *,
        vault: TokenVault | None = None,
        interval_ms: int = 60_000,
        retry: RetryPolicy | None = None,
        timeout: float | None = None,
        today: Callable[[], date] = legal_today,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._conn = conn  # the GUI thread's connection: counts only
        self._thread = QThread()
        self._thread.setObjectName("bannette-sync")
        self.worker = SyncWorker(database, vault or TokenVault(), retry, timeout, today)
        self.worker.moveToThread(self._thread)
        self._requestSync.connect(self.worker.sync)
        self._requestLogin.connect(self.worker.login)
        self._requestLogout.connect(self.worker.logout)
        self._requestDemo.connect(self.worker.start_demo)
        self._requestShutdown.connect(self.worker.shutdown)
        self._requestDownload.connect(self.worker.download)
        self.worker.downloadProgress.connect(self._on_download_progress)
        self.worker.downloaded.connect(self._on_downloaded)
        self.worker.downloadFailed.connect(self._on_download_failed)
        #: Set by stop(): answers still queued from the worker are dropped, the connection
        #: they would read may be closed already.
        self._stopped = False
        self.worker.progressed.connect(self._on_progress)
        self.worker.succeeded.connect(self._on_success)
        self.worker.failed.connect(self._on_failure)
        self.worker.upgradeRequired.connect(self._on_upgrade_required)
        self.worker.serverInfo.connect(self._on_server_info)
        self._requestPasswordChange.connect(self.worker.change_password)
        self._requestApi.connect(self.worker.api_call)
        self.worker.passwordChangeNeeded.connect(self.passwordChangeNeeded)
        self.worker.passwordChanged.connect(self.passwordChanged)
        self.worker.passwordChangeFailed.connect(self._on_password_change_failed)
        self.worker.apiAnswered.connect(self._on_api_answered)
        self.worker.apiFailed.connect(self._on_api_failed)
        self._api_callbacks: dict[int, tuple[Callable[[object], None], Callable[[str], None]]] = {}
        self._tickets = 0
        #: The server refused this version (426): no sync until the app is updated.
        self.upgrade_required: str | None = None
        #: What the server said of itself (``ServerInfo``), shown in « À propos ».
        self.server_info: object | None = None
        self.worker.loggedIn.connect(self.loggedIn)
        self.worker.loginFailed.connect(self._on_login_failed)
        self.worker.sessionNotKept.connect(self.sessionNotKept)
        self._running = False
        self._again = False
        self.status = SyncStatus(pending=self._pending(), last_sync=self._last_sync())
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.sync_now)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.sync_now)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._running

    def start_timer(self) -> None:
        self._timer.start()

    def sync_now(self) -> None:
        """F5 or the timer. Asked while a sync runs, one more follows it (a change made
        meanwhile must not wait for the next tick)."""
        if self.upgrade_required:
            self.failed.emit(self.upgrade_required)  # said again, nothing sent
            return
        if self._running:
            self._again = True
            return
        self._running = True
        self._set(progress=0)
        self._requestSync.emit()

    def login(self, server: str, login: str, password: str) -> None:
        self._running = True
        self._set(progress=0)
        self._requestLogin.emit(server, login, password)

    def logout(self) -> None:
        self._requestLogout.emit()

    def change_password(self, current: str, new: str) -> None:
        """Answered by ``passwordChanged`` (then a sync) or ``passwordChangeFailed``."""
        self._running = True
        self._set(progress=0)
        self._requestPasswordChange.emit(current, new)

    def api(
        self, method: str, path: str, body: object,
        on_done: Callable[[object], None], on_failed: Callable[[str], None],
    ) -> int:
        """A REST call on the sync thread; ``on_done(json)`` or ``on_failed(message)`` later,
        on the GUI thread. Returns the call's ticket."""
        self._tickets += 1
        self._api_callbacks[self._tickets] = (on_done, on_failed)
        self._requestApi.emit(self._tickets, method, path, body)
        return self._tickets

    def _on_api_answered(self, ticket: int, answer: object) -> None:
        callbacks = self._api_callbacks.pop(ticket, None)
        if callbacks is not None and not self._stopped:
            callbacks[0](answer)

    def _on_api_failed(self, ticket: int, message: str) -> None:
        callbacks = self._api_callbacks.pop(ticket, None)
        if callbacks is not None and not self._stopped:
            callbacks[1](message)

    def _on_password_change_failed(self, message: str) -> None:
        if self._stopped:
            return
        self._running = False
        self._set(progress=None)
        self.passwordChangeFailed.emit(message)

    def download(self, attachment_id: str, sha256: str) -> None:
        """Fetches an attachment on the sync thread; the answer is ``downloaded`` or
        ``downloadFailed``, with ``downloadProgress`` meanwhile. Asked during a sync, the
        download starts once the sync is over (the thread runs one job at a time)."""
        self.worker.keep_download(attachment_id)
        self._requestDownload.emit(attachment_id, sha256)

    def cancel_download(self, attachment_id: str) -> None:
        """Stops that download at its next chunk; what arrived is kept for a later resume."""
        self.worker.drop_download(attachment_id)

    def start_demo(self) -> None:
        """Starts the demonstration server on the sync thread, logs in and syncs."""
        self._running = True
        self._set(progress=0)
        self._requestDemo.emit()

    def local_changed(self) -> None:
        """Call after a local change: the « N modifications en attente » count moves at once,
        and, when the line is up, the change leaves a moment later (changes made in a quick
        row go together)."""
        self._set(pending=self._pending())
        if self.status.connectivity is Connectivity.ONLINE and self.status.pending:
            self._soon.start()

    def stop(self, *, wait: bool = True) -> bool:
        """The running sync stops after its current page, then the worker closes its
        connection (and the demo server) on its own thread. Returns whether that thread
        has ended.

        ``wait=False`` when the app quits: nothing here waits, neither for a request in
        flight to a slow server nor for the demo server to wind down; the window is gone at
        once. ``finish`` then gives the thread a moment to close its connection."""
        self._stopped = True
        self._timer.stop()
        self._soon.stop()
        self.worker.cancelled.set()
        if not wait:
            self.worker.interrupt()
        self._requestShutdown.emit()
        if not wait:
            return self._thread.isFinished()
        if not self._thread.wait(30_000):
            log.warning("sync thread did not stop in time")
            return False
        return True

    def finish(self, timeout_ms: int) -> bool:
        """Waits at most ``timeout_ms`` for the sync thread to end (after ``stop``)."""
        return self._thread.wait(timeout_ms)

    # --- from the worker (GUI thread) ---------------------------------------------------------
    def _on_progress(self, percent: int) -> None:
        if self._running and not self._stopped:
            self._set(progress=percent)

    def _on_success(self, report: SyncReport) -> None:
        if self._stopped:
            return
        self._running = False
        self._set(
            connectivity=Connectivity.ONLINE, progress=None, pending=self._pending(),
            # « Dernière synchronisation à … » stays on the PC's clock on purpose: it belongs
            # to no commune (one sync covers them all) and answers « how long ago did this PC
            # talk to the server », which the PC's own clock tells its user best.
            last_sync=datetime.now(), conflicts=self._count_conflicts(),
            rejected=self._count_rejected(),
        )
        self.synced.emit(report)
        if self._again:
            self._again = False
            self.sync_now()
        elif self.status.pending > report.pending:
            # Queued after the push, by the sync itself (implicit decisions found in the rows
            # it pulled): they leave now, not at the next tick. What the push itself left
            # behind waits for the timer, so nothing loops.
            self._soon.start()

    def _on_failure(self, message: str, login_needed: bool) -> None:
        if self._stopped:
            return
        self._running = False
        self._set(
            connectivity=Connectivity.LOGGED_OUT if login_needed else Connectivity.OFFLINE,
            progress=None, pending=self._pending(),
        )
        self.lastError = message
        self._again = False  # offline: the next tick will try again
        self.failed.emit(message)
        if login_needed:
            self.loginNeeded.emit(message)

    def _on_upgrade_required(self, message: str) -> None:
        """The server no longer accepts this version: the timer stops (every minute would
        say the same), local work goes on and stays queued until the update."""
        self.upgrade_required = message
        self._timer.stop()
        self._soon.stop()
        self._on_failure(message, False)

    def _on_server_info(self, info: object) -> None:
        self.server_info = info

    def _on_login_failed(self, message: str) -> None:
        """The status stays what it was (« En ligne » stays « En ligne »); the dialog comes
        back with the reason."""
        if self._stopped:
            return
        self._running = False
        self._set(progress=None)
        self.loginNeeded.emit(message)

    def _on_download_progress(self, attachment_id: str, done: int, total: int) -> None:
        if not self._stopped:
            self.downloadProgress.emit(attachment_id, done, total)

    def _on_downloaded(self, attachment_id: str, path: str) -> None:
        if not self._stopped:
            self.downloaded.emit(attachment_id, path)

    def _on_download_failed(self, attachment_id: str, message: str) -> None:
        if not self._stopped:
            self.downloadFailed.emit(attachment_id, message)

    # --- helpers ------------------------------------------------------------------------------
    lastError: str = ""

    def _set(self, **changes: object) -> None:
        values = {**self.status.__dict__, **changes}
        self.status = SyncStatus(**values)
        self.statusChanged.emit(self.status)

    def _pending(self) -> int:
        return pending_count(self._conn)

    def _count_conflicts(self) -> int:
        return int(self._conn.execute(
            "SELECT COUNT(*) FROM sync_conflict WHERE resolved_at IS NULL").fetchone()[0])

    def _count_rejected(self) -> int:
        return int(self._conn.execute(
            "SELECT COUNT(*) FROM sync_outbox WHERE state = 'rejected'").fetchone()[0])

    def _last_sync(self) -> datetime | None:
        row = self._conn.execute(
            "SELECT value FROM sync_state WHERE key = ?", (LAST_SYNC_AT,)).fetchone()
        if not row:
            return None
        return datetime.fromisoformat(row[0]).astimezone().replace(tzinfo=None)
