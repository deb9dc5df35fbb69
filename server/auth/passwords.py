"""Password hashing (argon2id) and the password policy of the seed CGU."""

from __future__ import annotations

import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
_SPECIALS = set(string.punctuation) | {" ", "€", "£", "§", "°", "µ"}


def policy_problems(password: str) -> list[str]:
    """What the password lacks, in French; empty when it meets the policy (≥ 8 characters with
    upper case, lower case, digit and special character)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"au moins {MIN_LENGTH} caractères")
    if not any(c.isupper() for c in password):
        problems.append("une majuscule")
    if not any(c.islower() for c in password):
        problems.append("une minuscule")
    if not any(c.isdigit() for c in password):
        problems.append("un chiffre")
    if not any((not c.isalnum()) or c in _SPECIALS for c in password):
        problems.append("un caractère spécial")
    return problems


class PasswordsBusy(Exception):
    """Every hashing slot stayed busy for the whole wait: the caller answers 503."""


class Passwords:
    """argon2id with a bound on simultaneous hashes: each one holds ``memory_cost_kib`` of
    memory, so 40 parallel logins must not mean 40 times 64 MiB."""

    def __init__(self, time_cost: int = 3, memory_cost_kib: int = 65536, parallelism: int = 4,
                 concurrency: int = 2):
        self._slots = threading.BoundedSemaphore(concurrency)
        self._hasher = PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost_kib,
            parallelism=parallelism,
            type=Type.ID,
        )
        # Verifying against this when the login is unknown keeps timing uniform.
        self._dummy = self._hasher.hash("Dummy-password-1")

    @contextmanager
    def _slot(self, wait: float) -> Iterator[None]:
        if not self._slots.acquire(timeout=wait):
            raise PasswordsBusy
        try:
            yield
        finally:
            self._slots.release()

    def hash(self, password: str, wait: float = 60.0) -> str:
        with self._slot(wait):
            return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str, wait: float = 60.0) -> bool:
        with self._slot(wait):
            try:
                return (self._hasher.verify(stored_hash or self._dummy, password)
                        and bool(stored_hash))
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)
