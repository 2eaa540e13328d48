"""eSIM activation codes (GSMA SGP.22 `LPA:1$<SM-DP+ address>$<matching id>`): sealed with
the server key until shown once as a QR code, then only their digest remains; a re-issue
invalidates the previous code. Never e-mailed: the code is only ever in the answer of the
one request that shows it."""

import base64
import hashlib
import re
from datetime import datetime

import segno
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession

from linedesk.errors import Conflict, NotFound, ValidationFailed
from linedesk.identity.principal import Principal
from linedesk.identity.service import AuthContext
from linedesk.kit.hashing import keyed_hash
from linedesk.lineactions.audit import audit_line
from linedesk.lineactions.models import EsimActivation, LineRequest, RequestState
from linedesk.lineactions.repository import EsimRepository
from linedesk.lineactions.requests import get_request, manager_only
from linedesk.lineactions.schemas import ActivationCode

PURPOSE = "esim-activation-code"
# SGP.22 §4.1: an FQDN, and a matching id of letters, digits and hyphens.
SMDP_ADDRESS = re.compile(
    r"^(?=.{1,255}$)[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
MATCHING_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def activation_code(smdp_address: str, matching_id: str) -> str:
    if not SMDP_ADDRESS.match(smdp_address) or not MATCHING_ID.match(matching_id):
        raise ValidationFailed(
            "Not an SGP.22 activation code: a SM-DP+ address and a matching id are needed",
            code="bad_activation_code",
        )
    return f"LPA:1${smdp_address}${matching_id}"


def _fernet(secret_key: str) -> Fernet:
    key = hashlib.sha256(f"{PURPOSE}:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def qr_svg(code: str) -> str:
    """The code as an inline SVG QR code (error correction M, as phones scan it)."""
    return str(segno.make(code, error="m", micro=False).svg_inline(scale=5, border=4))


async def store(
    session: AsyncSession,
    secret_key: str,
    now: datetime,
    request: LineRequest,
    smdp_address: str,
    matching_id: str,
) -> EsimActivation:
    """Keep the new code sealed until shown; every earlier code of the line stops working."""
    code = activation_code(smdp_address, matching_id)
    repo = EsimRepository(session)
    for previous in await repo.valid_of(request.line_id):
        previous.invalidated_at = now
        previous.sealed_code = None
    activation = EsimActivation(
        company_id=request.company_id,
        line_id=request.line_id,
        request_id=request.id,
        smdp_address=smdp_address,
        code_digest=keyed_hash(secret_key, PURPOSE, code),
        sealed_code=_fernet(secret_key).encrypt(code.encode()).decode(),
        created_at=now,
    )
    session.add(activation)
    await session.flush()
    return activation


async def show_activation_code(
    session: AsyncSession, ctx: AuthContext, principal: Principal, request_id: int
) -> ActivationCode:
    """The eSIM activation code of a done replacement or re-issue, once: after this answer
    linedesk keeps only its digest (re-issue for a new one)."""
    manager_only(principal)
    request = await get_request(session, principal, request_id)
    activation = await EsimRepository(session).by_request(request.id)
    if request.state is not RequestState.done or activation is None:
        raise NotFound("This request has no activation code")
    if activation.invalidated_at is not None:
        raise Conflict("This activation code was replaced by a newer one", code="code_replaced")
    if activation.sealed_code is None:
        raise Conflict(
            "The activation code was already shown: re-issue it for a new one",
            code="code_already_shown",
        )
    code = _fernet(ctx.settings.secret_key).decrypt(activation.sealed_code.encode()).decode()
    activation.sealed_code = None
    activation.shown_at = ctx.now
    await audit_line(
        session,
        request.line,
        "esim_code_shown",
        now=ctx.now,
        user_id=principal.user.id,
        client_ip=ctx.client_ip,
        request_id=request.id,
    )
    await session.flush()
    return ActivationCode(
        request_id=request.id, msisdn=request.line.msisdn, activation_code=code, qr_svg=qr_svg(code)
    )
