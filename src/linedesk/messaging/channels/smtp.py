"""E-mail over SMTP (aiosmtplib): plain, STARTTLS or implicit TLS, optional login."""

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from linedesk.config import Settings
from linedesk.kit.schemas import attributes
from linedesk.messaging.channels import Outgoing


@dataclass
class SmtpSender:
    host: str
    port: int
    sender: str
    security: str = "starttls"
    username: str = ""
    password: str = ""
    # Extra CAs (a PEM file) to trust for the server's certificate; empty: the system's only.
    ca_file: str = ""
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmtpSender":
        names = ("host", "port", "security", "username", "password", "ca_file")
        return cls(sender=settings.smtp_from, **attributes(settings, *names, prefix="smtp_"))

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.content.subject or ""
        domain = self.sender.rpartition("@")[2].strip("> ")
        # One Message-ID per outbox message, kept across attempts: a second delivery of the
        # same message (at least once) is a duplicate the recipient's mail system can see.
        email["Message-ID"] = (
            f"<outbox.{message.key}@{domain}>" if message.key else make_msgid(domain=domain)
        )
        email.set_content(message.content.text)
        if message.content.html:
            email.add_alternative(message.content.html, subtype="html")
        for attachment in message.attachments:
            maintype, _, subtype = attachment.content_type.partition("/")
            email.add_attachment(
                attachment.content,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=attachment.filename,
            )
        return email

    async def send(self, message: Outgoing) -> None:
        await aiosmtplib.send(
            self.build(message),
            hostname=self.host,
            port=self.port,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            username=self.username or None,
            password=self.password or None,
            cert_bundle=self.ca_file or None,
            timeout=self.timeout,
        )

    async def close(self) -> None:
        return None
