"""Requests and answers of Link SIM."""

from typing import Annotated

from pydantic import StringConstraints

from linedesk.identity.schemas import CodeTicket
from linedesk.kit.schemas import CreateSchema

Msisdn = Annotated[str, StringConstraints(min_length=3, max_length=20)]


class LinkStart(CreateSchema):
    msisdn: Msisdn


class LinkTicket(CodeTicket):
    link_id: str


class ActiveLine(CreateSchema):
    msisdn: Msisdn
