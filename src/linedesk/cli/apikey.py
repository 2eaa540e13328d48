"""linedesk apikey: back-office API keys (shown once, stored as digests)."""

import typer
from rich.table import Table

from linedesk.backoffice.service import create_api_key, list_api_keys, revoke_api_key
from linedesk.cli.runtime import console, run, settings, unit_of_work
from linedesk.kit.clock import Clock

app = typer.Typer(help="Back-office API keys.", no_args_is_help=True)


@app.command("create")
def create(name: str) -> None:
    """Create a key named NAME and print it once."""
    current = settings()

    async def _create() -> str:
        async with unit_of_work(current) as session:
            return await create_api_key(session, name, Clock().now())

    key = run(_create())
    console.print(f"API key '{name}' (shown only now, keep it safe):")
    print(key)


@app.command("revoke")
def revoke(name: str) -> None:
    """Revoke the key named NAME; it stops working at once."""
    current = settings()

    async def _revoke() -> None:
        async with unit_of_work(current) as session:
            await revoke_api_key(session, name, Clock().now())

    run(_revoke())
    console.print(f"API key '{name}' revoked.")


@app.command("list")
def list_keys() -> None:
    """List the keys (names and dates, never the keys)."""
    current = settings()

    async def _list() -> Table:
        async with unit_of_work(current) as session:
            table = Table("name", "created", "last used", "revoked")
            for key in await list_api_keys(session):
                table.add_row(
                    key.name,
                    f"{key.created_at:%Y-%m-%d %H:%M}",
                    f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "",
                    f"{key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "",
                )
            return table

    console.print(run(_list()))
