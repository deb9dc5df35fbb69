"""What the mutation handlers of the reply flow need beyond the database session: the blob
store (PDFs to read, sign and attach), and the mail sender and parapheur poller to wake once a
push committed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from server.blobs import BlobStore

if TYPE_CHECKING:
    from server.connectors.parapheur.poller import ParapheurPoller
    from server.mail.sender import MailWorker


@dataclass
class Runtime:
    blobs: BlobStore
    mailer: MailWorker | None = None
    poller: ParapheurPoller | None = None
    #: Contents an erasure left unreferenced in a pushed batch: their files go once it commits
    #: (``server.services.rgpd.forget_files``).
    released_blobs: list[str] = field(default_factory=list)

    def after_commit(self) -> None:
        """Called once the changes are committed: queued mail and folders may leave now."""
        if self.mailer is not None:
            self.mailer.wake()
        if self.poller is not None:
            self.poller.wake()
