"""Keyed hashing for short secrets (PUKs) and digests for high-entropy tokens (API keys)."""

import hashlib
import hmac
import secrets


def keyed_hash(secret_key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 keyed by the server secret: a leaked table cannot be brute-forced offline."""
    key = hashlib.sha256(f"{purpose}:{secret_key}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def verify_keyed_hash(secret_key: str, purpose: str, value: str, expected: str) -> bool:
    return hmac.compare_digest(keyed_hash(secret_key, purpose, value), expected)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(prefix: str, nbytes: int = 32) -> str:
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"
