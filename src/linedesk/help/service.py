"""The help's answers (content/<lang>.md, one `## Question {#anchor}` per answer) and their
search: every word of the query, accents and case aside, in the question or the answer."""

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from markupsafe import Markup

CONTENT_DIR = Path(__file__).resolve().parent / "content"
LANGUAGES = ("it", "en")
_HEADING = re.compile(r"^## (?P<title>.+?) \{#(?P<anchor>[a-z0-9-]+)\}\s*$")
_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"\*(.+?)\*"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w/])(/[a-z][a-z0-9/-]*)"), r'<a href="\1">\1</a>'),
)


@dataclass(frozen=True)
class Answer:
    anchor: str
    title: str
    text: str  # the Markdown source, for the search
    html: Markup


def _inline(text: str) -> str:
    out = html.escape(text, quote=False)
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def to_html(source: str) -> Markup:
    """The little Markdown the answers use: paragraphs, `- ` lists, bold, italics, and the
    paths of the site as links."""
    blocks = []
    for block in re.split(r"\n\s*\n", source.strip()):
        lines = block.splitlines()
        if all(line.startswith("- ") for line in lines):
            items = "".join(f"<li>{_inline(line[2:])}</li>" for line in lines)
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{_inline(' '.join(lines))}</p>")
    return Markup("\n".join(blocks))


@lru_cache(maxsize=len(LANGUAGES))
def answers(lang: str) -> tuple[Answer, ...]:
    """The answers in their order, in `lang` (Italian if not one of ours)."""
    source = (CONTENT_DIR / f"{lang if lang in LANGUAGES else 'it'}.md").read_text("utf-8")
    out: list[Answer] = []
    title = anchor = ""
    body: list[str] = []

    def close() -> None:
        if anchor:
            text = "\n".join(body).strip()
            out.append(Answer(anchor, title, text, to_html(text)))

    for line in source.splitlines():
        heading = _HEADING.match(line)
        if heading:
            close()
            title, anchor, body = heading["title"], heading["anchor"], []
        else:
            body.append(line)
    close()
    return tuple(out)


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _folded(text))


def search(lang: str, query: str) -> list[Answer]:
    """The answers holding every word of the query (as a word's start: "regist" finds
    "registration"), those with the words in the question first."""
    wanted = _words(query)[:12]
    if not wanted:
        return list(answers(lang))
    found: list[tuple[int, int, Answer]] = []
    for position, answer in enumerate(answers(lang)):
        title_words, text_words = _words(answer.title), _words(answer.text)
        every = title_words + text_words
        if all(any(word.startswith(w) for word in every) for w in wanted):
            in_title = sum(any(word.startswith(w) for word in title_words) for w in wanted)
            found.append((-in_title, position, answer))
    return [answer for _, _, answer in sorted(found, key=lambda f: (f[0], f[1]))]
