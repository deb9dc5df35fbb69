"""Server settings: command-line options win over environment variables, which win over defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

from sync.protocol.versions import DEFAULT_MIN_DESKTOP_VERSION

APP_NAME = "bannette"


def default_data_dir() -> Path:
    return Path(os.environ.get("BANNETTE_DATA_DIR") or user_data_dir(APP_NAME, appauthor=False))


def default_database_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'server.sqlite3').as_posix()}"


def normalise_database_url(url: str) -> str:
    """``postgresql://`` would pick psycopg2, which we do not ship: use psycopg 3."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def stuck_days_from_env() -> float:
    """Days without progress before a folder in an external parapheur is flagged stuck."""
    return float(os.environ.get("BANNETTE_PARAPHEUR_STUCK_DAYS") or 7)


def mailbox_ca_file_from_env() -> Path | None:
    """An extra CA (PEM) the mailbox poller trusts: a commune's self-hosted IMAP server."""
    value = os.environ.get("BANNETTE_MAILBOX_CA_FILE", "").strip()
    return Path(value) if value else None


def parse_proxies(value: str) -> tuple[str, ...]:
    """``"10.0.0.1, 10.0.0.2"`` → the addresses (or networks) of the trusted proxies."""
    return tuple(p.strip() for p in value.split(",") if p.strip())


@dataclass
class Settings:
    """Everything the app factory needs; tests build one directly with their own values."""

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8765
    run_migrations: bool = True
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    #: Login attempts not yet proven right allowed per login within the window before a 429,
    #: and per client address (password spraying over many logins).
    login_max_failures: int = 5
    login_max_failures_per_ip: int = 50
    login_window_seconds: int = 300
    #: Simultaneous argon2 hashes per process (each holds ``argon2_memory_cost_kib``); a login
    #: that finds no free slot within ``hash_wait_seconds`` is answered 503 with Retry-After.
    hash_concurrency: int = 2
    hash_wait_seconds: float = 10.0
    #: Addresses of the reverse proxies whose ``X-Forwarded-For`` is believed (none by default:
    #: any local process could otherwise choose the address the limits and the audit see).
    trusted_proxies: tuple[str, ...] = ()
    #: Citizen submissions accepted per IP within the window (the CGU's "envois abusifs").
    submission_max_per_window: int = 10
    submission_window_seconds: int = 600
    #: Bytes of files the public portal may attach to one commune's requests in 24 hours.
    anonymous_bytes_per_day: int = 500 * 1024 * 1024
    #: argon2id cost; tests lower it to keep the suite fast, production keeps the defaults.
    argon2_time_cost: int = 3
    argon2_memory_cost_kib: int = 65536
    argon2_parallelism: int = 4
    echo_sql: bool = False
    #: Outgoing mail: the sender thread runs with the app; waits after each failed attempt
    #: (one more attempt than delays), SMTP timeout, and how often it looks at the outbox.
    mail_sender: bool = True
    mail_retry_delays: tuple[float, ...] = (60.0, 300.0, 1800.0, 7200.0)
    smtp_timeout: float = 30.0
    mail_poll_seconds: float = 30.0
    #: External parapheurs: the poller thread runs with the app, looks for due folders this
    #: often, and flags a folder with no progress for this many days.
    parapheur_poller: bool = True
    parapheur_poll_seconds: float = 60.0
    parapheur_stuck_days: float = 7.0
    #: Incoming mail: the mailbox poller runs with the app and reads each commune's mailbox
    #: this often; ``mailbox_ca_file`` adds a CA to trust (a commune's self-signed server).
    mailbox_poller: bool = True
    mailbox_poll_seconds: float = 120.0
    mailbox_ca_file: Path | None = None
    #: The oldest desktop accepted; an older one gets a French 426 (server/compat.py).
    min_desktop_version: str = field(
        default_factory=lambda: os.environ.get(
            "BANNETTE_MIN_DESKTOP_VERSION", DEFAULT_MIN_DESKTOP_VERSION
        )
    )

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if not self.database_url:
            self.database_url = default_database_url(self.data_dir)
        self.database_url = normalise_database_url(self.database_url)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def mail_drop_dir(self) -> Path:
        """Where the demonstration « file » transport writes the e-mails it would send."""
        return self.data_dir / "courriels-envoyes"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        data_dir = default_data_dir()
        return cls(
            data_dir=data_dir,
            database_url=env.get("BANNETTE_DATABASE_URL", ""),
            host=env.get("BANNETTE_SERVER_HOST", "127.0.0.1"),
            port=int(env.get("BANNETTE_SERVER_PORT", "8765")),
            parapheur_stuck_days=stuck_days_from_env(),
            anonymous_bytes_per_day=int(
                env.get("BANNETTE_ANONYMOUS_BYTES_PER_DAY", str(500 * 1024 * 1024))),
            trusted_proxies=parse_proxies(env.get("BANNETTE_TRUSTED_PROXIES", "")),
            run_migrations=env.get("BANNETTE_RUN_MIGRATIONS", "1") != "0",
            mailbox_ca_file=mailbox_ca_file_from_env(),
        )
