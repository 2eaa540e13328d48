"""`python -m linedesk.cli`, the same as the `linedesk` command."""

from linedesk.cli import main

main()
