"""SMS over SMPP 3.4 to a real SMSC (the smpp34 library's server) started by the test."""

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
import smpp34
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.messaging.channels.smpp import SmppSender
from linedesk.messaging.models import Channel, OutboxStatus
from linedesk.messaging.sms import DATA_CODING_GSM7, DATA_CODING_UCS2, ESM_CLASS_UDHI, decode_part
from linedesk.messaging.worker import OutboxWorker
from tests.messaging.conftest import free_port, outbox, put

LONG_ITALIAN = (
    "Gentile cliente, la fattura di ottobre è disponibile nell'area clienti: l'importo è "
    "di 1.234,56 euro e la scadenza è il 30 novembre. Può pagarla con bonifico o addebito "
    "diretto; se ha già provveduto, non consideri questo messaggio. Per qualsiasi dubbio "
    "può rispondere, il servizio clienti è attivo tutti i giorni. Grazie, città più unita!"
)


class Smsc:
    """Accepts binds and every submit_sm, keeping what it received."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server = smpp34.Server(host="127.0.0.1", port=port, system_id="TESTSMSC")
        self.received: list[smpp34.SubmitSmEvent] = []
        self.task: asyncio.Task[None] | None = None

    async def _serve(self) -> None:
        while True:
            event = await self.server.next()
            if isinstance(event, smpp34.SubmitSmEvent):
                self.received.append(event)
                event.accept(message_id=f"m{len(self.received)}")

    async def start(self) -> None:
        await self.server.start()
        self.task = asyncio.create_task(self._serve())

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
        await self.server.stop()


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    server = Smsc(free_port())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def smpp_sender(smsc: Smsc) -> SmppSender:
    return SmppSender(
        host="127.0.0.1",
        port=smsc.port,
        system_id="linedesk",
        password="secret",
        source_addr="LineDesk",
        timeout=5,
    )


def text_of(parts: list[smpp34.SubmitSmEvent]) -> str:
    return "".join(decode_part(p.short_message, p.data_coding, p.esm_class) for p in parts)


async def test_a_short_sms_is_one_gsm7_part(
    smsc: Smsc,
    smpp_sender: SmppSender,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(
        sessionmaker,
        Channel.sms,
        "+393471234567",
        payload={"name": "Niccolò", "note": "Più però è."},
    )
    await make_worker({Channel.sms: smpp_sender}).run_until_idle()
    await smpp_sender.close()
    [part] = smsc.received
    assert (part.destination_addr, part.dest_addr_ton, part.source_addr) == (
        "393471234567",
        1,
        "LineDesk",
    )
    assert (part.data_coding, part.esm_class) == (DATA_CODING_GSM7, 0)
    assert text_of([part]) == "linedesk: messaggio di prova per Niccolò. Più però è."
    [message] = await outbox(sessionmaker)
    assert message.status is OutboxStatus.sent


async def test_a_300_character_italian_text_arrives_as_concatenated_parts(
    smsc: Smsc,
    smpp_sender: SmppSender,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(
        sessionmaker,
        Channel.sms,
        "+393471234567",
        language="it",
        payload={"name": "Giulia", "note": LONG_ITALIAN},
    )
    await make_worker({Channel.sms: smpp_sender}).run_until_idle()
    await smpp_sender.close()
    parts = smsc.received
    assert len(parts) == 3
    assert all(p.esm_class & ESM_CLASS_UDHI and p.data_coding == DATA_CODING_GSM7 for p in parts)
    headers = [p.short_message[:6] for p in parts]
    assert {h[3] for h in headers} == {headers[0][3]}  # one reference for the whole text
    assert [(h[4], h[5]) for h in headers] == [(3, 1), (3, 2), (3, 3)]
    assert text_of(parts) == f"linedesk: messaggio di prova per Giulia. {LONG_ITALIAN}"


async def test_text_outside_gsm7_is_sent_as_ucs2(
    smsc: Smsc,
    smpp_sender: SmppSender,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    await put(
        sessionmaker, Channel.sms, "+393471234567", payload={"name": "Zoë", "note": "Grazie ✓"}
    )
    await make_worker({Channel.sms: smpp_sender}).run_until_idle()
    await smpp_sender.close()
    [part] = smsc.received
    assert part.data_coding == DATA_CODING_UCS2
    assert text_of([part]) == "linedesk: messaggio di prova per Zoë. Grazie ✓"


async def test_the_sender_binds_again_after_the_smsc_restarts(
    smsc: Smsc,
    smpp_sender: SmppSender,
    sessionmaker: async_sessionmaker[AsyncSession],
    make_worker: Callable[..., OutboxWorker],
) -> None:
    smpp_sender.timeout = 1
    worker = make_worker({Channel.sms: smpp_sender})
    await put(sessionmaker, Channel.sms, "+393470000001")
    await worker.run_until_idle()
    await smsc.stop()
    restarted = Smsc(smsc.port)
    await restarted.start()
    try:
        await put(sessionmaker, Channel.sms, "+393470000002")
        await worker.run_until_idle()
        await smpp_sender.close()
    finally:
        await restarted.stop()
    assert [p.destination_addr for p in restarted.received] == ["393470000002"]
    assert {m.status for m in await outbox(sessionmaker)} == {OutboxStatus.sent}
