"""E-mail over an encrypted, authenticated SMTP session (STARTTLS or implicit TLS) to a real
server (aiosmtpd) with a certificate made by the test and trusted through
LINEDESK_SMTP_CA_FILE."""

import email
import ipaddress
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.messaging.channels.smtp import SmtpSender
from linedesk.messaging.models import Channel, OutboxStatus
from linedesk.messaging.worker import OutboxWorker
from tests.conftest import TEST_SECRET
from tests.messaging.conftest import free_port, outbox, put

USERNAME, PASSWORD = "linedesk", "s3cret-pa55"
# aiosmtpd warns when AUTH is allowed without STARTTLS, which is the implicit-TLS case.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@dataclass(frozen=True)
class ServerCertificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(directory: Path) -> ServerCertificate:
    """A self-signed certificate for 127.0.0.1 and localhost, its own CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "linedesk test SMTP")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-ca.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ServerCertificate(cert_file, key_file)


def encrypted_transport(server: Any) -> bool:
    return server.transport.get_extra_info("ssl_object") is not None


@dataclass
class SecureInbox:
    """Accepts mail only from a client that logged in, over TLS, with the right password."""

    # (login, whether the connection was encrypted when the password arrived)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        encrypted = encrypted_transport(server)
        self.logins.append((login, encrypted))
        accepted = encrypted and (login, password) == (USERNAME, PASSWORD)
        return AuthResult(success=accepted, handled=False)  # handled=False: aiosmtpd answers 535

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        assert session.authenticated and encrypted_transport(server)
        parsed = email.message_from_bytes(envelope.content, policy=default)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> ServerCertificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture(params=["starttls", "tls"])
def secure_smtp(
    request: pytest.FixtureRequest, certificate: ServerCertificate
) -> Iterator[tuple[SecureInbox, str, int]]:
    security: str = request.param
    inbox, port = SecureInbox(), free_port()
    # aiosmtpd's auth_require_tls knows only STARTTLS; under implicit TLS every byte is
    # encrypted already, and the authenticator itself refuses a clear-text login anyway.
    encryption: dict[str, Any] = (
        {
            "tls_context": certificate.server_context(),
            "require_starttls": True,
            "auth_require_tls": True,
        }
        if security == "starttls"
        else {"ssl_context": certificate.server_context(), "auth_require_tls": False}
    )
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=inbox.authenticate,
        auth_required=True,
        **encryption,
    )
    controller.start()
    yield inbox, security, port
    controller.stop()


def configured_sender(
    security: str, port: int, *, ca_file: Path | None, password: str = PASSWORD
) -> SmtpSender:
    """The sender exactly as production builds it, from LINEDESK_SMTP_* settings."""
    settings = Settings(
        secret_key=TEST_SECRET,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        smtp_username=USERNAME,
        smtp_password=password,
        smtp_ca_file=str(ca_file or ""),
        smtp_from="linedesk <no-reply@linedesk.test>",
    )
    sender = SmtpSender.from_settings(settings)
    sender.timeout = 5
    return sender


async def test_an_email_arrives_over_tls_after_logging_in(
    secure_smtp: tuple[SecureInbox, str, int],
    certificate: ServerCertificate,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    inbox, security, port = secure_smtp
    await put(sessionmaker, Channel.email, "giulia@example.it", language="en")
    sender = configured_sender(security, port, ca_file=certificate.cert_file)
    await make_worker({Channel.email: sender}).run_until_idle()

    assert inbox.logins == [(USERNAME, True)]
    [(recipients, message)] = inbox.received
    assert recipients == ["giulia@example.it"]
    assert message["Subject"] == "Test message from linedesk"
    [stored] = await outbox(sessionmaker)
    assert stored.status is OutboxStatus.sent


async def test_a_certificate_nobody_vouches_for_is_refused(
    secure_smtp: tuple[SecureInbox, str, int],
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    inbox, security, port = secure_smtp
    await put(sessionmaker, Channel.email, "giulia@example.it")
    sender = configured_sender(security, port, ca_file=None)  # the system store only
    await make_worker({Channel.email: sender}).run_once()

    assert inbox.logins == [] and inbox.received == []  # the password never left
    [stored] = await outbox(sessionmaker)
    assert stored.status is OutboxStatus.pending
    assert stored.last_error and "CERTIFICATE_VERIFY_FAILED" in stored.last_error


async def test_a_wrong_password_is_retried_with_the_servers_answer(
    secure_smtp: tuple[SecureInbox, str, int],
    certificate: ServerCertificate,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    inbox, security, port = secure_smtp
    await put(sessionmaker, Channel.email, "giulia@example.it")
    sender = configured_sender(security, port, ca_file=certificate.cert_file, password="wrong")
    await make_worker({Channel.email: sender}).run_once()

    assert inbox.received == []
    [stored] = await outbox(sessionmaker)
    assert stored.status is OutboxStatus.pending
    assert stored.last_error and stored.last_error.startswith("SMTPAuthenticationError")
    assert "wrong" not in stored.last_error
