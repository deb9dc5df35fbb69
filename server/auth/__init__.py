"""Authentication: argon2id passwords, opaque revocable tokens, login throttling."""
