"""Writes server/auth/common-passwords.txt: about 1,000 passwords people really pick (well-known
words and keyboard walks, in French and English, dressed up the way a complexity rule makes
people dress them: digits, a year, « ! »), in lower case: the check ignores case. Generated,
never downloaded.

Run: python scripts/make_common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "password", "motdepasse", "azerty", "qwerty", "admin", "administrateur", "bonjour",
    "soleil", "welcome", "bienvenue", "secret", "marseille", "paris", "france", "doudou",
    "chouchou", "loulou", "iloveyou", "jetaime", "monkey", "dragon", "football", "mairie",
    "commune", "letmein", "master", "sunshine", "princess", "login", "user", "test",
    "changeme", "default", "abc", "toto", "nicolas", "julien", "camille", "marie", "thomas",
]
WALKS = ["azerty", "qwerty", "azertyuiop", "qwertyuiop", "123456", "12345678", "123456789",
         "1234567890", "111111", "000000", "abc123", "azerty123", "qwerty123", "1q2w3e4r",
         "a1b2c3d4", "aaaaaa", "654321", "696969", "112233", "121212"]
SUFFIXES = ["", "1", "12", "123", "1234", "12345", "01", "!", "1!", "12!", "123!", "1234!",
            "2023", "2024", "2025", "2026", "2023!", "2024!", "2025!", "2026!", "@123", "*"]


def generate() -> list[str]:
    seen: dict[str, None] = {}
    for word in WORDS:
        for suffix in SUFFIXES:
            seen.setdefault(word + suffix, None)
    for walk in WALKS:
        for suffix in ("", "!", "?", "."):
            seen.setdefault(walk + suffix, None)
    return list(seen)


def main() -> None:
    target = Path(__file__).resolve().parent.parent / "server" / "auth" / "common-passwords.txt"
    target.write_text("\n".join(generate()) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
