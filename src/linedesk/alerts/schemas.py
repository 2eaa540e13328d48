"""The user's usage-alert switches (SPEC R-U4)."""

from pydantic import Field

from linedesk.kit.schemas import CreateSchema, Schema
from linedesk.usage.models import AlertKind


class AlertSwitches(Schema):
    kinds: dict[AlertKind, bool] = Field(
        description="Every alert kind, true when it is on (all are on until switched off)"
    )


class AlertSwitchesUpdate(CreateSchema):
    kinds: dict[AlertKind, bool] = Field(
        description="The kinds to switch on (true) or off (false); kinds left out keep "
        "their setting"
    )
