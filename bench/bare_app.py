"""The app as served, plus one route the benchmarks compare against: a bare endpoint of the
same stack (same middleware, same session dependency) doing one primary-key read.
Benchmarks only; never part of the product.

    uvicorn bare_app:create_bench_app --factory --app-dir bench
"""

from fastapi import FastAPI

from linedesk.app import create_app
from linedesk.deps import SessionDep
from linedesk.errors import NotFound
from linedesk.inventory.models import Line


def create_bench_app() -> FastAPI:
    app = create_app()

    @app.get("/bench/bare/{line_id}", include_in_schema=False)
    async def bare(session: SessionDep, line_id: int) -> dict[str, str]:
        line = await session.get(Line, line_id)
        if line is None:
            raise NotFound("No such line")
        return {"msisdn": line.msisdn}

    return app
