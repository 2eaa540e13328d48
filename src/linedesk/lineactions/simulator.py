"""The embedded mode's provisioning system: it checks our signature as the real one does,
takes the request, and after a short delay reports it done through the same code as the
signed callback, so that every journey finishes on a laptop. Development only."""

import asyncio
import json
import secrets
from collections.abc import Mapping
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from linedesk.config import Settings
from linedesk.kit.clock import Clock
from linedesk.kit.tax_ids import iccid_with_check_digit
from linedesk.lineactions.provisioning import Refused
from linedesk.lineactions.results import complete
from linedesk.lineactions.schemas import ProvisioningCallback
from linedesk.lineactions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

log = structlog.get_logger()


def simulated_result(kind: str, payload: dict[str, Any], smdp_address: str) -> dict[str, Any]:
    """What a network answers: a new SIM's ICCID and PUK, an eSIM's SM-DP+ and matching id."""
    result: dict[str, Any] = {}
    if kind == "sim_replacement":
        result["iccid"] = iccid_with_check_digit("893901" + f"{secrets.randbelow(10**12):012d}")
        result["puk"] = f"{secrets.randbelow(10**8):08d}"
    if payload.get("sim_kind") == "esim":
        token = secrets.token_hex(10).upper()
        result["smdp_address"] = smdp_address
        result["matching_id"] = "-".join(token[i : i + 5] for i in range(0, len(token), 5))
    return result


class SimulatedProvisioning:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        settings: Settings,
        clock: Clock,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.clock = clock
        self.tasks: set[asyncio.Task[None]] = set()

    async def send(self, body: bytes, headers: Mapping[str, str]) -> None:
        if not verify(
            self.settings.provisioning_key,
            headers.get(TIMESTAMP_HEADER),
            headers.get(SIGNATURE_HEADER),
            body,
            now=self.clock.now().timestamp(),
            max_skew=self.settings.provisioning_callback_max_skew_seconds,
        ):
            raise Refused("HTTP 401: bad signature")
        request = json.loads(body)
        task = asyncio.create_task(self._complete(request), name="provisioning-simulator")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _complete(self, request: dict[str, Any]) -> None:
        await asyncio.sleep(self.settings.provisioning_simulator_delay_seconds)
        callback = ProvisioningCallback(
            request_id=request["request_id"],
            idempotency_key=request["idempotency_key"],
            status="done",
            result=simulated_result(
                request["kind"], request["payload"], self.settings.esim_smdp_address
            ),
        )
        try:
            async with self.sessionmaker() as session, session.begin():
                await complete(session, self.settings, self.clock.now(), callback)
        except Exception:
            log.exception("provisioning_simulator_failed", request_id=request["request_id"])

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
