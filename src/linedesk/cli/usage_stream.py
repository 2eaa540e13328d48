"""linedesk usage consume: import usage records from the stream (NATS JetStream) as they come."""

import typer

from linedesk.cli.runtime import console, err_console, run, settings, stop_on_signals
from linedesk.db import create_engine, create_sessionmaker
from linedesk.kit.clock import Clock
from linedesk.kit.live import RedisBus
from linedesk.kit.nats import NatsBroker
from linedesk.lineactions.caps import usage_hook
from linedesk.ops.logging import configure_logging
from linedesk.usage.stream import StreamConfig, UsageConsumer


def consume(
    batch_records: int = typer.Option(0, min=0, help="Records per batch (0: the setting)."),
    batch_ms: int = typer.Option(0, min=0, help="Longest wait to fill a batch (0: the setting)."),
    until_idle: float = typer.Option(
        0, min=0, help="Exit once nothing arrived for this many seconds (0: run until stopped)."
    ),
) -> None:
    """Import usage records published on LINEDESK_USAGE_SUBJECT, a batch per transaction,
    acknowledged after the commit. Run as many as needed: they share the durable consumer.
    Malformed messages go to LINEDESK_USAGE_DEAD_LETTER_SUBJECT with their reason."""
    current = settings()
    configure_logging(current.log_level, current.json_logs)
    if not current.nats_url:
        err_console.print("[red]LINEDESK_NATS_URL is not set:[/red] there is no stream to read")
        raise typer.Exit(2)
    config = StreamConfig.of(current)
    config = StreamConfig(
        config.stream,
        config.subject,
        config.dead_letter_subject,
        config.durable,
        batch_records or config.batch_records,
        batch_ms or config.batch_ms,
    )

    async def _consume() -> tuple[int, int]:
        engine = create_engine(current.effective_database_url)
        broker = NatsBroker(current.nats_url)
        bus = RedisBus(current.redis_url) if current.redis_url else None
        consumer = UsageConsumer(
            broker,
            create_sessionmaker(engine),
            Clock().now,
            config,
            bus.publish if bus else None,
            on_counters=usage_hook(current),
        )
        stop = stop_on_signals()
        try:
            await consumer.start()
            await consumer.run(stop, until_idle=until_idle)
            return consumer.imported, consumer.dead
        finally:
            await broker.close()
            if bus is not None:
                await bus.close()
            await engine.dispose()

    imported, dead = run(_consume(), bulk=True)
    console.print(f"Imported {imported:,} record(s); {dead:,} message(s) dead-lettered")
