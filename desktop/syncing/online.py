"""Online calls of the administration screens, made with the sync worker's own session.

One desktop holds one session (one refresh token in the keyring, rotated at each refresh): a
second client refreshing on its own would spend the token the sync relies on. So an online
call (the audit trail, the retention lists) is posted to the sync thread, runs there between
two syncs with the same ``ApiClient``, and its answer comes back to the GUI thread by a signal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from sync import errors
from sync.client import ApiClient

T = TypeVar("T")
NOT_CONNECTED = "Connectez-vous au serveur (menu « Synchronisation ») pour consulter ces données."


@dataclass
class _Job:
    call: Callable[[ApiClient], Any]
    on_success: Callable[[Any], None]
    on_failure: Callable[[BaseException], None]
    result: Any = None
    error: BaseException | None = None


class _Runner(QObject):
    """Lives on the sync thread."""

    done = Signal(object)

    def __init__(self, session: Callable[[], ApiClient | None]) -> None:
        super().__init__()
        self._session = session

    @Slot(object)
    def run(self, job: _Job) -> None:
        try:
            client = self._session()
            if client is None:
                raise errors.SyncError(NOT_CONNECTED)
            job.result = job.call(client)
        except BaseException as exc:  # noqa: BLE001 - handed back to the GUI thread
            job.error = exc
        self.done.emit(job)


class SyncThreadOnline(QObject):
    """``desktop.services.rgpd.Online`` over the sync controller's thread and session."""

    _post = Signal(object)

    def __init__(self, controller: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        worker = controller.worker
        # The worker's logged-in client, resumed from the keyring if need be (sync thread).
        self._runner = _Runner(worker._session)  # noqa: SLF001
        self._runner.moveToThread(worker.thread())
        self._post.connect(self._runner.run)
        self._runner.done.connect(self._deliver)

    def run(self, call: Callable[[ApiClient], T], on_success: Callable[[T], None],
            on_failure: Callable[[BaseException], None]) -> None:
        self._post.emit(_Job(call, on_success, on_failure))

    @Slot(object)
    def _deliver(self, job: _Job) -> None:
        if job.error is not None:
            job.on_failure(job.error)
        else:
            job.on_success(job.result)
