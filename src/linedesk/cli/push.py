"""linedesk push: Web Push (VAPID) keys."""

import typer

from linedesk.cli.runtime import console
from linedesk.messaging.channels.webpush import generate_vapid_keys

app = typer.Typer(help="Web Push (VAPID).", no_args_is_help=True)


@app.command("keys")
def keys() -> None:
    """Generate a VAPID key pair: the private key goes in LINEDESK_VAPID_PRIVATE_KEY."""
    private_key, public_key = generate_vapid_keys()
    console.print("Keep the private key secret; browsers get the public key.")
    print(f"LINEDESK_VAPID_PRIVATE_KEY={private_key}")
    print(f"VAPID public key (applicationServerKey): {public_key}")
