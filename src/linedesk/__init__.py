"""linedesk: self-care for an operator's business customers."""

__version__ = "0.1.0"
