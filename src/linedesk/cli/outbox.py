"""linedesk outbox: the development mailbox and the state of the outbox."""

import typer
from rich.table import Table

from linedesk.cli.runtime import console, run, settings, unit_of_work
from linedesk.messaging.models import OutboxStatus
from linedesk.messaging.repository import MailboxRepository, OutboxRepository

app = typer.Typer(help="The outbox and the development mailbox.", no_args_is_help=True)


@app.command("list")
def list_captured(limit: int = typer.Option(20, help="How many messages to show.")) -> None:
    """Messages captured by the development mailbox, newest first."""
    current = settings()

    async def _list() -> list[str]:
        async with unit_of_work(current) as session:
            return [
                f"{m.created_at:%Y-%m-%d %H:%M:%S}  {m.channel.value}  to {m.recipient}\n"
                + (f"  {m.subject}\n" if m.subject else "")
                + "".join(f"  {line}\n" for line in m.text.splitlines())
                for m in await MailboxRepository(session).newest(limit=limit)
            ]

    blocks = run(_list())
    print("\n".join(blocks) if blocks else "The mailbox is empty.")


@app.command("status")
def status(
    state: OutboxStatus | None = typer.Option(None, "--status", help="Only this status."),
    limit: int = typer.Option(20, help="How many messages to show."),
) -> None:
    """Outbox messages, newest first, with attempts and the last error."""
    current = settings()

    async def _status() -> Table:
        async with unit_of_work(current) as session:
            table = Table(
                "id", "created", "channel", "template", "status", "attempts", "last error"
            )
            for message in await OutboxRepository(session).list(state, limit):
                table.add_row(
                    str(message.id),
                    f"{message.created_at:%Y-%m-%d %H:%M}",
                    message.channel.value,
                    message.template,
                    message.status.value,
                    str(message.attempts),
                    message.last_error or "",
                )
            return table

    console.print(run(_status()))
