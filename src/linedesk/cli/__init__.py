"""The `linedesk` command: one group per module."""

import typer

from linedesk.cli import apikey, demo, inventory
from linedesk.cli.serve import migrate, serve

app = typer.Typer(
    name="linedesk",
    help="linedesk: self-care for an operator's business customers.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command()(serve)
app.command()(migrate)
app.add_typer(demo.app, name="demo")
app.add_typer(apikey.app, name="apikey")
app.add_typer(inventory.app, name="inventory")


def main() -> None:
    app()
