"""HMAC-SHA256 signatures of the provisioning protocol, both ways: our requests to the
provisioning system and its callbacks to us. The signed text is `<timestamp>.<body>`, so a
body cannot be replayed under another time; a time too far from ours is refused."""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Linedesk-Timestamp"
SIGNATURE_HEADER = "X-Linedesk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SCHEME = "sha256="


def sign(key: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(key, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return SCHEME + digest


def signed_headers(key: bytes, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(key, timestamp, body),
        "Content-Type": "application/json",
    }


def verify(
    key: bytes,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    now: float,
    max_skew: float,
) -> bool:
    """The signature is ours and recent. Constant-time; False, never an exception."""
    if not timestamp or not signature or not timestamp.isdigit() or len(timestamp) > 12:
        return False
    if abs(now - int(timestamp)) > max_skew:
        return False
    return hmac.compare_digest(sign(key, int(timestamp), body), signature)
