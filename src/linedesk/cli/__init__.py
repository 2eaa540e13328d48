"""The `linedesk` command: one group per module."""

import typer

from linedesk.cli import (
    apikey,
    billing,
    demo,
    inventory,
    notifications,
    outbox,
    payments,
    provisioning,
    push,
    usage,
)
from linedesk.cli.scheduler import scheduler
from linedesk.cli.serve import migrate, serve
from linedesk.cli.worker import worker

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
app.command()(worker)
app.command()(scheduler)
app.add_typer(outbox.app, name="outbox")
app.add_typer(push.app, name="push")
app.add_typer(usage.app, name="usage")
app.add_typer(billing.app, name="billing")
app.add_typer(payments.app, name="payments")
app.add_typer(notifications.app, name="notifications")
app.add_typer(provisioning.app, name="provisioning")


def main() -> None:
    app()
