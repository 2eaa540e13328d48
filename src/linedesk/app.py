"""create_app(): settings, database, middleware, API routers, web pages, lifespan."""

from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import iter_route_contexts

from linedesk import __version__
from linedesk.alerts.api import router as alerts_router
from linedesk.alerts.pages import router as alerts_pages
from linedesk.billing.api import router as billing_backoffice_router
from linedesk.company.api import router as company_router
from linedesk.company.pages import router as company_pages
from linedesk.config import Settings, get_settings
from linedesk.dashboard.api import lines_router
from linedesk.dashboard.api import router as dashboard_router
from linedesk.dashboard.live import router as live_events
from linedesk.dashboard.pages import router as dashboard_pages
from linedesk.dashboard.service import record_visit
from linedesk.db import create_engine, create_read_sessionmaker, create_sessionmaker
from linedesk.demo.live import live_demo
from linedesk.deps import reject_control_characters
from linedesk.errors import ERROR_RESPONSES, install_error_handlers
from linedesk.help.pages import router as help_pages
from linedesk.identity.api import router as identity_router
from linedesk.identity.pages import router as identity_pages
from linedesk.identity.passwords import PasswordHasher
from linedesk.identity.two_factor_pages import router as two_factor_pages
from linedesk.inventory.api import router as inventory_backoffice_router
from linedesk.invoices.api import router as invoices_router
from linedesk.invoices.pages import router as invoices_pages
from linedesk.invoices.service import INVOICE_PDF, invoice_pdf_loader
from linedesk.jobs import embedded_scheduler
from linedesk.kit.clock import Clock
from linedesk.kit.heap import frozen_startup_heap
from linedesk.kit.live import live_bus
from linedesk.kit.ratelimit import RateLimiter
from linedesk.kit.uploads import BodyLimitMiddleware
from linedesk.lineactions.api import backoffice_router as provisioning_backoffice_router
from linedesk.lineactions.api import router as lineactions_router
from linedesk.lineactions.caps import usage_hook
from linedesk.lineactions.pages import router as lineactions_pages
from linedesk.lineactions.tasks import embedded_provisioning
from linedesk.linking.api import router as linking_router
from linedesk.linking.pages import router as linking_pages
from linedesk.managers.api import router as managers_router
from linedesk.managers.pages import router as managers_pages
from linedesk.messaging.api import router as messaging_dev_router
from linedesk.messaging.attachments import register_loader
from linedesk.messaging.pages import router as messaging_pages_router
from linedesk.messaging.tasks import embedded_worker
from linedesk.notifications.api import router as notifications_router
from linedesk.notifications.pages import router as notifications_pages
from linedesk.notifications.service import notify_invoices_issued
from linedesk.ops.api import router as ops_router
from linedesk.ops.logging import configure_logging
from linedesk.ops.middleware import RequestContextMiddleware
from linedesk.overview.pages import router as overview_pages
from linedesk.payments.api import router as payments_backoffice_router
from linedesk.recovery.api import router as recovery_router
from linedesk.recovery.pages import router as recovery_pages
from linedesk.registration.api import router as registration_router
from linedesk.registration.pages import router as registration_pages
from linedesk.shell.pages import router as shell_router
from linedesk.spending.api import router as spending_router
from linedesk.spending.pages import router as spending_pages
from linedesk.usage.api import router as usage_backoffice_router
from linedesk.web.delivery import CachedStaticFiles, compressed
from linedesk.web.errors import install_page_handlers, render_error_page
from linedesk.web.security_headers import SecurityHeadersMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1", responses=ERROR_RESPONSES)
    # The router tries routes in order: the reads every app and widget polls come first.
    api.include_router(lines_router)
    api.include_router(dashboard_router)
    api.include_router(identity_router)
    api.include_router(registration_router)
    api.include_router(recovery_router)
    api.include_router(linking_router)
    api.include_router(managers_router)
    api.include_router(usage_backoffice_router)  # before inventory's /{resource}/import
    api.include_router(billing_backoffice_router)  # likewise before inventory's
    api.include_router(payments_backoffice_router)  # likewise before inventory's
    api.include_router(provisioning_backoffice_router)  # likewise before inventory's
    api.include_router(inventory_backoffice_router)
    api.include_router(messaging_dev_router)
    api.include_router(alerts_router)
    api.include_router(notifications_router)
    api.include_router(invoices_router)
    api.include_router(spending_router)
    api.include_router(company_router)
    api.include_router(lineactions_router)
    return api


def build_routes(app: FastAPI) -> None:
    """Build the routes now, so that they are frozen with the rest of the start-up heap:
    FastAPI builds an included router's routes (their dependants, validators and
    serializers, ~50,000 objects) at the first request that reaches it. Built after the
    freeze, they were scanned by every full collection: 10–25 ms pauses every few seconds
    under load, the summary's p99 (bench/summary.py)."""
    deque(iter_route_contexts(app.routes), maxlen=0)


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.json_logs)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = app.state
        await state.live.start()
        async with (
            embedded_worker(state.settings, state.sessionmaker, state.clock),
            embedded_provisioning(state.settings, state.sessionmaker, state.clock),
            embedded_scheduler(state.settings, state.sessionmaker, state.clock),
            live_demo(state.settings, state.sessionmaker, state.clock.now, state.live),
        ):
            build_routes(app)
            with frozen_startup_heap():
                yield
        await app.state.live.close()
        await app.state.limiter.close()
        app.state.hasher.close()
        await app.state.engine.dispose()

    docs = settings.serves_api_docs
    app = FastAPI(
        title="linedesk",
        version=__version__,
        summary="Self-care API for an operator's business customers",
        lifespan=lifespan,
        openapi_url="/openapi.json" if docs else None,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        dependencies=[Depends(reject_control_characters)],
    )
    engine = create_engine(settings.effective_database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = create_sessionmaker(engine)
    app.state.read_sessionmaker = create_read_sessionmaker(engine)
    app.state.clock = clock or Clock()
    app.state.hasher = PasswordHasher.from_settings(settings)
    app.state.limiter = RateLimiter.from_settings(settings)
    app.state.count_visit = record_visit  # pages count visits without importing the dashboard
    app.state.on_invoices_issued = notify_invoices_issued  # the back office's billing run
    # the usage alerts and spending caps, told of every import's counters
    app.state.on_counters = usage_hook(settings)
    register_loader(INVOICE_PDF, invoice_pdf_loader(settings))  # the embedded worker's
    app.state.live = live_bus(settings.redis_url)  # counters changed: pages update

    install_error_handlers(app, html=render_error_page)
    install_page_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.is_production)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(compressed)  # outermost: what leaves is compressed
    app.include_router(ops_router)
    app.include_router(api_router())
    app.include_router(shell_router)
    app.include_router(identity_pages)
    app.include_router(overview_pages)
    app.include_router(dashboard_pages)
    app.include_router(live_events)
    app.include_router(registration_pages)
    app.include_router(recovery_pages)
    app.include_router(managers_pages)
    app.include_router(invoices_pages)
    app.include_router(two_factor_pages)
    app.include_router(linking_pages)
    app.include_router(messaging_pages_router)
    app.include_router(notifications_pages)
    app.include_router(spending_pages)
    app.include_router(company_pages)
    app.include_router(alerts_pages)
    app.include_router(help_pages)
    app.include_router(lineactions_pages)
    app.mount("/static", CachedStaticFiles(directory=STATIC_DIR), name="static")
    return app
