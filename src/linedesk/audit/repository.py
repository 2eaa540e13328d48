"""Audit log queries, scoped to the caller's company."""

from sqlalchemy import Select

from linedesk.audit.models import AuditEvent
from linedesk.kit.repository import ScopedRepository


class AuditRepository(ScopedRepository[AuditEvent]):
    model = AuditEvent

    def newest_first(self) -> Select[AuditEvent]:
        return self.readable().order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
