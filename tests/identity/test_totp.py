"""Two-factor codes for managers (SPEC R-A11): RFC 6238 with an injected clock."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from linedesk.identity.totp import (
    accepted_step,
    current_code,
    new_secret,
    provisioning_uri,
    qr_svg,
    verify_code,
)

NOW = datetime(2026, 11, 20, 9, 30, 10, tzinfo=UTC)
# RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890" in base32.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def test_the_rfc_6238_test_vector():
    at = datetime.fromtimestamp(59, UTC)
    assert current_code(RFC_SECRET, at) == "287082"  # the RFC's 94287082, in 6 digits
    assert verify_code(RFC_SECRET, "287082", at)


def test_a_code_made_now_verifies():
    secret = new_secret()
    assert verify_code(secret, current_code(secret, NOW), NOW)


def test_one_step_of_clock_drift_either_side_is_accepted():
    secret = new_secret()
    assert verify_code(secret, current_code(secret, NOW - timedelta(seconds=30)), NOW)
    assert verify_code(secret, current_code(secret, NOW + timedelta(seconds=30)), NOW)


def test_a_code_from_five_minutes_ago_does_not_verify():
    secret = new_secret()
    assert not verify_code(secret, current_code(secret, NOW - timedelta(minutes=5)), NOW)


def test_malformed_or_wrong_codes_do_not_verify():
    secret = new_secret()
    code = current_code(secret, NOW)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for attempt in (wrong, "", "12345", "1234567", "abcdef", code + "0"):
        assert not verify_code(secret, attempt, NOW)
    assert verify_code(secret, f"{code[:3]} {code[3:]}", NOW)  # as the app shows it


def test_a_used_code_cannot_be_used_again():
    secret = new_secret()
    code = current_code(secret, NOW)
    step = accepted_step(secret, code, NOW)
    assert step is not None
    assert accepted_step(secret, code, NOW + timedelta(seconds=5), last_used_step=step) is None
    later = NOW + timedelta(seconds=30)
    assert (
        accepted_step(secret, current_code(secret, later), later, last_used_step=step) == step + 1
    )


def test_now_must_be_timezone_aware():
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_code(new_secret(), "123456", datetime(2026, 11, 20, 9, 30))


def test_secrets_are_160_bits_and_different():
    secrets = {new_secret() for _ in range(20)}
    assert len(secrets) == 20
    assert all(len(secret) == 32 for secret in secrets)  # 32 base32 characters = 160 bits


def test_the_provisioning_uri_names_the_issuer_and_account():
    secret = new_secret()
    uri = provisioning_uri(secret, "mario.rossi@example.com")
    parsed = urlparse(uri)
    query = parse_qs(parsed.query)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == "/linedesk:mario.rossi%40example.com"
    assert query["secret"] == [secret]
    assert query["issuer"] == ["linedesk"]
    assert "issuer=Acme" in provisioning_uri(secret, "m", issuer="Acme")


def test_the_qr_code_is_inline_svg():
    svg = qr_svg(provisioning_uri(new_secret(), "mario.rossi@example.com"))
    assert svg.startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg  # goes straight into a page
