"""The help pages: /help lists every answer, ?q= searches them on the server (no script
needed); each answer has its anchor, which the pages link to from their context."""

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from linedesk.help.service import answers, search
from linedesk.kit.i18n import pick_language
from linedesk.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/help")
async def help_page(request: Request, q: str = Query("", max_length=200)) -> Response:
    lang = pick_language(request, request.app.state.settings.default_language)
    query = q.strip()
    return render(
        request,
        "help/index.html",
        query=query,
        found=search(lang, query) if query else list(answers(lang)),
        every=answers(lang),
    )
