"""Autologin trust: which address is the client's, and when a number header is believed."""

import ipaddress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from linedesk.config import Settings
from linedesk.kit.network import (
    client_address,
    parse_address,
    sign_msisdn,
    vouched_msisdn,
)

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
KEY = "gateway-shared-key-for-tests"
GATEWAY = "100.64.0.0/10"
INSIDE = ipaddress.ip_address("100.64.12.34")
OUTSIDE = ipaddress.ip_address("203.0.113.7")
NUMBER = "+393331234567"


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "_env_file": None,
        "data_dir": tmp_path,
        "autologin_gateway_ranges": [GATEWAY],
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def _signed(msisdn: str, at: datetime, key: str = KEY) -> dict[str, str]:
    return {"X-MSISDN": msisdn, "X-MSISDN-Signature": sign_msisdn(key, msisdn, int(at.timestamp()))}


# The number header --------------------------------------------------------------------


def test_by_default_nobody_is_trusted(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path)
    loopback = ipaddress.ip_address("127.0.0.1")
    assert vouched_msisdn(loopback, {"X-MSISDN": NUMBER}, settings, NOW) is None


def test_the_header_from_outside_the_gateway_ranges_is_ignored(tmp_path):
    assert vouched_msisdn(OUTSIDE, {"X-MSISDN": NUMBER}, _settings(tmp_path), NOW) is None


def test_the_header_from_inside_a_gateway_range_gives_the_number(tmp_path):
    settings = _settings(tmp_path)
    assert vouched_msisdn(INSIDE, {"x-msisdn": "393331234567"}, settings, NOW) == NUMBER
    assert vouched_msisdn(INSIDE, Headers({"X-MSISDN": "333 123 4567"}), settings, NOW) == NUMBER


def test_no_number_without_a_valid_mobile_number(tmp_path):
    settings = _settings(tmp_path)
    assert vouched_msisdn(INSIDE, {}, settings, NOW) is None
    assert vouched_msisdn(INSIDE, {"X-MSISDN": "not a number"}, settings, NOW) is None
    assert vouched_msisdn(INSIDE, {"X-MSISDN": "+390612345678"}, settings, NOW) is None  # fixed
    two = Headers(raw=[(b"x-msisdn", b"+393331234567"), (b"x-msisdn", b"+393339999999")])
    assert vouched_msisdn(INSIDE, two, settings, NOW) is None


def test_the_header_name_is_configurable(tmp_path):
    settings = _settings(tmp_path, autologin_header="X-Up-Calling-Line-Id")
    assert vouched_msisdn(INSIDE, {"X-MSISDN": NUMBER}, settings, NOW) is None
    assert vouched_msisdn(INSIDE, {"X-Up-Calling-Line-Id": NUMBER}, settings, NOW) == NUMBER


def test_with_a_key_a_valid_signature_is_required(tmp_path):
    settings = _settings(tmp_path, autologin_hmac_key=KEY)
    assert vouched_msisdn(INSIDE, {"X-MSISDN": NUMBER}, settings, NOW) is None
    assert vouched_msisdn(INSIDE, _signed(NUMBER, NOW), settings, NOW) == NUMBER
    skewed = NOW - timedelta(seconds=59)
    assert vouched_msisdn(INSIDE, _signed(NUMBER, skewed), settings, NOW) == NUMBER


def test_with_a_key_the_signature_is_checked_from_inside_the_ranges_only(tmp_path):
    settings = _settings(tmp_path, autologin_hmac_key=KEY)
    assert vouched_msisdn(OUTSIDE, _signed(NUMBER, NOW), settings, NOW) is None


@pytest.mark.parametrize(
    "headers",
    [
        _signed(NUMBER, NOW, key="another-key"),  # wrong key
        _signed(NUMBER, NOW - timedelta(seconds=61)),  # expired
        _signed(NUMBER, NOW + timedelta(seconds=61)),  # from the future
        {**_signed("+393339999999", NOW), "X-MSISDN": NUMBER},  # for another number
        {"X-MSISDN": NUMBER, "X-MSISDN-Signature": "v1=00"},  # no time
        {"X-MSISDN": NUMBER, "X-MSISDN-Signature": f"t={int(NOW.timestamp())}"},  # no MAC
        {"X-MSISDN": NUMBER, "X-MSISDN-Signature": "garbage"},
    ],
    ids=["wrong-key", "expired", "future", "other-number", "no-time", "no-mac", "garbage"],
)
def test_a_bad_or_expired_signature_gives_no_number(tmp_path, headers):
    settings = _settings(tmp_path, autologin_hmac_key=KEY)
    assert vouched_msisdn(INSIDE, headers, settings, NOW) is None


def test_the_allowed_skew_is_configurable(tmp_path):
    settings = _settings(tmp_path, autologin_hmac_key=KEY, autologin_max_skew_seconds=300)
    headers = _signed(NUMBER, NOW - timedelta(seconds=240))
    assert vouched_msisdn(INSIDE, headers, settings, NOW) == NUMBER


def test_the_signature_format():
    assert sign_msisdn("k", "+393331234567", 1700000000).startswith("t=1700000000,v1=")
    assert len(sign_msisdn("k", "+393331234567", 1700000000).split("v1=")[1]) == 64


# The client address -------------------------------------------------------------------

PROXIES = ["10.0.0.0/8"]


def test_a_direct_client_is_its_peer_address():
    assert client_address("203.0.113.7", {}, PROXIES) == OUTSIDE


def test_a_forged_forwarded_for_from_an_untrusted_client_changes_nothing():
    forged = {"X-Forwarded-For": "100.64.12.34"}
    assert client_address("203.0.113.7", forged, PROXIES) == OUTSIDE
    assert client_address("203.0.113.7", forged, []) == OUTSIDE


def test_behind_our_proxy_the_client_is_the_forwarded_address():
    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert client_address("10.1.2.3", headers, PROXIES) == OUTSIDE


def test_a_chain_of_our_proxies_is_walked_right_to_left():
    # client → proxy 10.0.0.5 → proxy 10.0.0.9 → us; the client had forged a first entry.
    headers = {"X-Forwarded-For": "100.64.12.34, 203.0.113.7, 10.0.0.5"}
    assert client_address("10.0.0.9", headers, PROXIES) == OUTSIDE


def test_forwarded_for_in_several_headers_is_one_list():
    headers = Headers(
        raw=[(b"x-forwarded-for", b"100.64.12.34"), (b"x-forwarded-for", b"203.0.113.7, 10.0.0.5")]
    )
    assert client_address("10.0.0.9", headers, PROXIES) == OUTSIDE


def test_garbage_written_before_our_proxy_stops_the_walk_at_that_proxy():
    headers = {"X-Forwarded-For": "unknown, 10.0.0.5"}
    assert client_address("10.0.0.9", headers, PROXIES) == ipaddress.ip_address("10.0.0.5")


def test_a_proxy_without_forwarded_for_is_the_client():
    assert client_address("10.0.0.9", {}, PROXIES) == ipaddress.ip_address("10.0.0.9")


def test_no_peer_or_a_named_peer_gives_no_address():
    assert client_address(None, {}, PROXIES) is None
    assert client_address("testclient", {}, PROXIES) is None


def test_addresses_are_read_as_proxies_write_them():
    assert parse_address("203.0.113.7:5678") == OUTSIDE
    assert parse_address("[2001:db8::1]:443") == ipaddress.ip_address("2001:db8::1")
    assert parse_address("2001:db8::1") == ipaddress.ip_address("2001:db8::1")
    assert parse_address("::ffff:203.0.113.7") == OUTSIDE
    assert parse_address("unknown") is None


# Settings -----------------------------------------------------------------------------


def test_ranges_come_from_the_environment_comma_separated(monkeypatch, tmp_path):
    monkeypatch.setenv("LINEDESK_AUTOLOGIN_GATEWAY_RANGES", "100.64.0.0/10, 2001:db8::/32")
    monkeypatch.setenv("LINEDESK_TRUSTED_PROXIES", '["10.0.0.0/8"]')
    settings = Settings(_env_file=None, data_dir=tmp_path)
    assert [str(net) for net in settings.autologin_gateway_ranges] == [
        "100.64.0.0/10",
        "2001:db8::/32",
    ]
    assert [str(net) for net in settings.trusted_proxies] == ["10.0.0.0/8"]
    assert settings.autologin_header == "X-MSISDN"
    assert settings.autologin_max_skew_seconds == 60


def test_a_malformed_range_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.setenv("LINEDESK_AUTOLOGIN_GATEWAY_RANGES", "100.64.0.0/99")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, data_dir=tmp_path)
