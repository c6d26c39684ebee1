"""Link tokens: 256 random bits, sent once in the message, stored only as their
SHA-256 (a database read gives no usable link). Plain Python."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> tuple[str, str]:
    """(token for the link, its hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """The stored form of a token: 64 hex characters."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
