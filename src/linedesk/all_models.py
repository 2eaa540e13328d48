"""Imports every domain's tables so Base.metadata is complete (migrations, tests)."""

from linedesk.audit import models as audit_models
from linedesk.backoffice import models as backoffice_models
from linedesk.billing import models as billing_models
from linedesk.db import Base
from linedesk.identity import models as identity_models
from linedesk.inventory import models as inventory_models
from linedesk.lineactions import models as lineactions_models
from linedesk.messaging import models as messaging_models
from linedesk.notifications import models as notifications_models
from linedesk.payments import models as payments_models
from linedesk.usage import models as usage_models

__all__ = [
    "Base",
    "audit_models",
    "backoffice_models",
    "billing_models",
    "identity_models",
    "inventory_models",
    "lineactions_models",
    "messaging_models",
    "notifications_models",
    "payments_models",
    "usage_models",
]
