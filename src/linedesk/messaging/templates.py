"""Named message templates, one folder per language (web/templates/messages/<name>/<lang>/).

E-mail uses subject.txt, body.txt and body.html; SMS uses sms.txt; Web Push uses
subject.txt (the title) and sms.txt (the short body); a payload's `url` is the page the
notification opens.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from linedesk.messaging.models import Channel

LANGUAGES = ("it", "en")
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "web" / "templates" / "messages"
REQUIRED_FILES = {
    Channel.email: ("subject.txt", "body.txt", "body.html"),
    Channel.sms: ("sms.txt",),
    Channel.push: ("subject.txt", "sms.txt"),
}

_environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=False,
)


def ends_sentence(value: object) -> str:
    """A name that closes a sentence: "Rossi S.r.l." takes no second full stop."""
    text = str(value)
    return text if text.endswith(".") else text + "."


_environment.filters["ends_sentence"] = ends_sentence


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None
    text: str
    html: str | None = None
    url: str | None = None  # a push: the page its notification opens when tapped


@lru_cache(maxsize=256)
def template_exists(name: str, channel: Channel) -> bool:
    return all(
        (TEMPLATES_DIR / name / lang / filename).is_file()
        for lang in LANGUAGES
        for filename in REQUIRED_FILES[channel]
    )


def _render(name: str, lang: str, filename: str, payload: dict[str, Any]) -> str:
    return _environment.get_template(f"{name}/{lang}/{filename}").render(**payload).strip()


def render_message(
    name: str, lang: str, channel: Channel, payload: dict[str, Any]
) -> RenderedMessage:
    """The message in the user's language, ready for its channel."""
    if channel is Channel.email:
        return RenderedMessage(
            subject=_render(name, lang, "subject.txt", payload),
            text=_render(name, lang, "body.txt", payload),
            html=_render(name, lang, "body.html", payload),
        )
    if channel is Channel.push:
        return RenderedMessage(
            subject=_render(name, lang, "subject.txt", payload),
            text=_render(name, lang, "sms.txt", payload),
            url=payload.get("url"),
        )
    return RenderedMessage(subject=None, text=_render(name, lang, "sms.txt", payload))
