"""SMS over SMPP 3.4 (smpplib, blocking, so it runs in a thread): one transmitter bind
kept open between messages, re-established when the link fails."""

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import smpplib.client
import smpplib.consts
import smpplib.exceptions

from linedesk.config import Settings
from linedesk.kit.schemas import attributes
from linedesk.messaging.channels import Outgoing
from linedesk.messaging.sms import split_sms

TON_INTERNATIONAL, TON_ALPHANUMERIC, NPI_ISDN, NPI_UNKNOWN = 1, 5, 1, 0


class SmppRejected(Exception):
    """The SMSC answered a submit_sm with an error status."""


def source_address(source: str) -> tuple[int, int, str]:
    digits = source.lstrip("+")
    if digits.isdigit():
        return TON_INTERNATIONAL, NPI_ISDN, digits
    return TON_ALPHANUMERIC, NPI_UNKNOWN, source[:11]


@dataclass
class SmppSender:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    source_addr: str = "linedesk"
    timeout: float = 10.0
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SmppSender":
        names = ("host", "port", "system_id", "password", "system_type", "source_addr")
        return cls(**attributes(settings, *names, prefix="smpp_"))

    async def send(self, message: Outgoing) -> None:
        await asyncio.to_thread(self._send_blocking, message.recipient, message.content.text)

    async def close(self) -> None:
        await asyncio.to_thread(self._disconnect)

    def _send_blocking(self, recipient: str, text: str) -> None:
        with self._lock:
            try:
                self._submit(recipient, text)
            except (smpplib.exceptions.ConnectionError, OSError):
                # The bind may have gone stale while idle: one fresh bind, then give up.
                self._disconnect()
                self._submit(recipient, text)

    def _connect(self) -> Any:
        if self._client is None:
            client = smpplib.client.Client(
                self.host, self.port, timeout=self.timeout, allow_unknown_opt_params=True
            )
            client.connect()
            try:
                client.bind_transmitter(
                    system_id=self.system_id, password=self.password, system_type=self.system_type
                )
            except Exception:
                client.disconnect()
                raise
            self._client = client
        return self._client

    def _disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            if client.state == smpplib.consts.SMPP_CLIENT_STATE_BOUND_TX:
                client.unbind()
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError, OSError):
            pass
        finally:
            client.disconnect()

    def _submit(self, recipient: str, text: str) -> None:
        client = self._connect()
        sms = split_sms(text)
        source_ton, source_npi, source = source_address(self.source_addr)
        for part in sms.parts:
            pdu = client.send_message(
                source_addr_ton=source_ton,
                source_addr_npi=source_npi,
                source_addr=source,
                dest_addr_ton=TON_INTERNATIONAL,
                dest_addr_npi=NPI_ISDN,
                destination_addr=recipient.lstrip("+"),
                short_message=part,
                data_coding=sms.data_coding,
                esm_class=sms.esm_class,
            )
            self._await_response(client, pdu.sequence)

    def _await_response(self, client: Any, sequence: int) -> None:
        acknowledged: list[int] = []
        client.set_message_sent_handler(lambda pdu, **_: acknowledged.append(pdu.sequence))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            try:
                client.read_once()
            except smpplib.exceptions.PDUError as exc:
                raise SmppRejected(f"submit_sm refused: {exc}") from exc
            if sequence in acknowledged:
                return
        raise smpplib.exceptions.ConnectionError("no submit_sm_resp from the SMSC")
