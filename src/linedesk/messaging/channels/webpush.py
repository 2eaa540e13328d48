"""Web Push with VAPID (pywebpush): the recipient is the browser's subscription as JSON."""

import base64
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid
from pywebpush import webpush_async

from linedesk.config import Settings
from linedesk.messaging.channels import Outgoing


@dataclass
class WebPushSender:
    private_key: str
    subject: str
    ttl: int = 24 * 3600
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "WebPushSender":
        return cls(private_key=settings.vapid_private_key, subject=settings.vapid_subject)

    async def send(self, message: Outgoing) -> None:
        subscription = json.loads(message.recipient)
        shown = {"title": message.content.subject or "", "body": message.content.text}
        if message.content.url:
            shown["url"] = message.content.url
        data = json.dumps(shown, ensure_ascii=False)
        await webpush_async(
            subscription_info=subscription,
            data=data,
            vapid_private_key=Vapid.from_string(private_key=self.private_key),
            vapid_claims={"sub": self.subject},
            ttl=self.ttl,
            timeout=self.timeout,
        )

    async def close(self) -> None:
        return None


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private key for the server, applicationServerKey for browsers),
    both base64url without padding."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_numbers().private_value.to_bytes(32, "big")
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(private), _b64url(public)


def public_key_of(private_key: str) -> str:
    """The applicationServerKey (base64url, uncompressed P-256 point) of a VAPID private key."""
    public = Vapid.from_string(private_key=private_key).public_key
    assert public is not None
    raw = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url(raw)


@lru_cache(maxsize=1)
def _development_keys() -> tuple[str, str]:
    return generate_vapid_keys()


def vapid_public_key(settings: Settings) -> str | None:
    """The key browsers subscribe with: the configured pair's, or (where messages are
    captured, not sent) one made for this process; None when push cannot be sent."""
    if settings.vapid_private_key:
        return public_key_of(settings.vapid_private_key)
    if settings.captures_messages:
        return _development_keys()[1]
    return None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
