"""Run slow work (rendering a letter, converting it to PDF) off the GUI thread.

A task is a plain callable run on a ``QThreadPool``; its result or its exception comes back as
a signal delivered on the GUI thread, where the caller's callbacks run and may touch widgets and
the GUI thread's SQLite connection. The callable itself must not touch either: it receives
everything it needs as arguments (SQLite connections here are bound to their thread).

The runner counts the tasks under way and says so (``busyChanged``), so the window can show a
busy indicator without knowing what runs. ``synchronous=True`` runs each task inline, callbacks
included, which makes GUI tests deterministic without waiting on threads.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

SuccessCallback = Callable[[Any], None]
FailureCallback = Callable[[BaseException], None]


class _Relay(QObject):
    """Lives on the GUI thread; the worker emits, Qt queues the call back to this thread.

    The receiving slots are methods of this QObject (not bare functions) so that Qt knows the
    receiver's thread and delivers the call there, whichever thread emitted.
    """

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_success: Callable[[_Relay, Any], None],
        on_failure: Callable[[_Relay, BaseException], None],
    ) -> None:
        super().__init__()
        self._on_success = on_success
        self._on_failure = on_failure
        self.succeeded.connect(self._deliver_success)
        self.failed.connect(self._deliver_failure)

    @Slot(object)
    def _deliver_success(self, result: Any) -> None:
        self._on_success(self, result)

    @Slot(object)
    def _deliver_failure(self, exc: BaseException) -> None:
        self._on_failure(self, exc)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the caller
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._relay.failed.emit(exc)
        else:
            self._relay.succeeded.emit(result)


class TaskRunner(QObject):
    """Runs callables on a thread pool; results come back on the GUI thread."""

    #: True when the first task starts, False when the last one ends.
    busyChanged = Signal(bool)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        pool: QThreadPool | None = None,
        synchronous: bool = False,
    ) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._synchronous = synchronous
        self._relays: set[_Relay] = set()
        self._running = 0

    @property
    def busy(self) -> bool:
        return self._running > 0

    def run(
        self,
        fn: Callable[[], Any],
        *,
        on_success: SuccessCallback | None = None,
        on_failure: FailureCallback | None = None,
        priority: int = 0,
    ) -> None:
        """Start ``fn``; then ``on_success(result)`` or ``on_failure(exception)`` on this thread.

        A failure without ``on_failure`` is re-raised on the GUI thread rather than lost. Of the
        tasks waiting for a thread, those of higher ``priority`` start first (the page shown
        before the thumbnails).
        """
        self._started()
        if self._synchronous:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - handed to the callback as in threads
                self._finish_failure(exc, on_failure)
            else:
                self._finish_success(result, on_success)
            return

        def succeeded(relay: _Relay, result: Any) -> None:
            self._relays.discard(relay)
            self._finish_success(result, on_success)

        def failed(relay: _Relay, exc: BaseException) -> None:
            self._relays.discard(relay)
            self._finish_failure(exc, on_failure)

        relay = _Relay(succeeded, failed)
        self._relays.add(relay)  # kept alive until its result is delivered
        self._pool.start(_Job(fn, relay), priority)

    def wait_for_done(self, msecs: int = 30_000) -> bool:
        """Block until the pool is idle (tests, shutdown); queued results still need events."""
        return self._pool.waitForDone(msecs)

    # --- bookkeeping on the GUI thread -------------------------------------------------------
    def _started(self) -> None:
        self._running += 1
        if self._running == 1:
            self.busyChanged.emit(True)

    def _ended(self) -> None:
        self._running -= 1
        if self._running == 0:
            self.busyChanged.emit(False)

    def _finish_success(self, result: Any, callback: SuccessCallback | None) -> None:
        try:
            if callback is not None:
                callback(result)
        finally:
            self._ended()

    def _finish_failure(self, exc: BaseException, callback: FailureCallback | None) -> None:
        try:
            if callback is None:
                raise exc
            callback(exc)
        finally:
            self._ended()
