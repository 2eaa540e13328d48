"""Requests and answers of Link SIM."""

from typing import Annotated

from linedesk.identity.schemas import CodeTicket
from linedesk.kit.schemas import CreateSchema, one_line

Msisdn = Annotated[str, one_line(min_length=3, max_length=20)]


class LinkStart(CreateSchema):
    msisdn: Msisdn


class LinkTicket(CodeTicket):
    id_field = "link_id"
    link_id: str


class ActiveLine(CreateSchema):
    msisdn: Msisdn
