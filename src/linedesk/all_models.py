"""Imports every domain's tables so Base.metadata is complete (migrations, tests)."""

from linedesk.backoffice import models as backoffice_models
from linedesk.db import Base
from linedesk.inventory import models as inventory_models

__all__ = ["Base", "backoffice_models", "inventory_models"]
