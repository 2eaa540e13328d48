"""Request and response models of signing in and of the signed-in user."""

from datetime import datetime
from typing import Annotated, ClassVar, Self

from pydantic import Field, StringConstraints

from linedesk.identity.codes import IssuedCode, ticket_fields
from linedesk.identity.models import Profile
from linedesk.inventory.models import Segment
from linedesk.kit.phone import LineKind
from linedesk.kit.schemas import CreateSchema, Schema, one_line

Username = Annotated[str, one_line(max_length=64)]
# Long enough for any valid password; the policy (12..128) is checked where one is chosen.
AnyPassword = Annotated[str, one_line(max_length=1024, strip_whitespace=False)]
NewPassword = Annotated[str, one_line(max_length=1024, strip_whitespace=False)]
TotpCode = Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class LoginRequest(CreateSchema):
    username: Username
    password: AnyPassword
    totp_code: TotpCode | None = None


class TokenResponse(Schema):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until the access token expires")
    profile: Profile
    must_change_password: bool


class RefreshRequest(CreateSchema):
    refresh_token: Annotated[str, one_line(max_length=200)]


class CompanyBrief(Schema):
    id: int
    name: str
    vat_number: str
    segment: Segment


class LineBrief(Schema):
    msisdn: str
    kind: LineKind
    main: bool = Field(description="the user's own line; the others are linked lines")


class MeResponse(Schema):
    id: int
    username: str
    profile: Profile
    email: str | None
    language: str
    must_change_password: bool
    totp_enabled: bool
    company: CompanyBrief
    lines: list[LineBrief]
    active_line: str | None


class PasswordChange(CreateSchema):
    current_password: AnyPassword | None = Field(
        default=None, description="not needed right after signing in with a generated password"
    )
    new_password: NewPassword


class CodeTicket(Schema):
    """The answer to a request that sends a one-time code (the same whoever asked)."""

    channel: str = Field(description="sms or email: where the code was sent")
    expires_at: datetime
    resend_after: datetime = Field(description="when 'send again' becomes possible")
    # Each flow names the code's public id: registration_id, recovery_id, link_id…
    id_field: ClassVar[str]

    @classmethod
    def of(cls, issued: IssuedCode) -> Self:
        return cls(**{cls.id_field: issued.record.public_id}, **ticket_fields(issued))


class CodeEntry(CreateSchema):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class TwoFactorSetup(Schema):
    secret: str = Field(description="for typing into an authenticator app by hand")
    otpauth_uri: str
    qr_svg: str = Field(description="the otpauth URI as an inline SVG QR code")


class SimulatedAutologin(CreateSchema):
    msisdn: Annotated[str, one_line(min_length=3, max_length=20)]
