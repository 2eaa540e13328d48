"""Two-factor sign-in for managers (SPEC R-A11): RFC 6238 TOTP, 30 s steps, 6 digits, one
step of drift either side, and the QR code an authenticator app scans, as inline SVG."""

from datetime import datetime

import pyotp
import segno

INTERVAL_SECONDS = 30
DIGITS = 6
VALID_WINDOW = 1  # steps accepted either side of now: phones' clocks drift
ISSUER = "linedesk"


def new_secret() -> str:
    """A base32 secret of 160 bits (RFC 4226's recommended length), from `secrets`."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL_SECONDS)


def _unix(now: datetime) -> int:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def current_code(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (tests and the development tools)."""
    return _totp(secret).at(_unix(now))


def accepted_step(
    secret: str, code: str, now: datetime, last_used_step: int | None = None
) -> int | None:
    """The time step `code` belongs to if valid at `now`, else None. Store the step and pass
    it back as `last_used_step`, so a code cannot be used twice (RFC 6238 §5.2)."""
    code = code.replace(" ", "").strip()
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    step_now = totp.timecode(_unix(now))
    for step in range(step_now - VALID_WINDOW, step_now + VALID_WINDOW + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def verify_code(secret: str, code: str, now: datetime) -> bool:
    return accepted_step(secret, code, now) is not None


def provisioning_uri(secret: str, account_name: str, issuer: str = ISSUER) -> str:
    """The otpauth:// URI that authenticator apps read from the QR code."""
    return _totp(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def qr_svg(uri: str, scale: int = 4) -> str:
    """The QR code of `uri` as an <svg> element to put inline in a page."""
    return str(segno.make(uri, error="m").svg_inline(scale=scale, dark="#000", light="#fff"))
