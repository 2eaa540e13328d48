"""The accessibility audit of a page in the browser: axe-core (the copy bundled with
axe-playwright-python) against WCAG 2.1 A and AA, and the phone layout's horizontal overflow."""

from typing import Any

from axe_playwright_python.async_playwright import Axe
from axe_playwright_python.base import AxeResults

# WCAG 2.0 and 2.1, levels A and AA; plus axe's best practices (landmarks, heading order,
# a main landmark), of which only the serious and critical findings count, like the rest.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = {"serious", "critical"}
AXE = Axe()


async def audit(page) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The serious and critical axe-core violations of the page as it is now."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(AXE.axe_script)  # once per document, not once per run
    response = await page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]},
    )
    return [v for v in response["violations"] if v["impact"] in BLOCKING]


def report(violations: list[dict[str, Any]]) -> str:
    """axe-playwright-python's readable report: rule, help, each element and why."""
    return AxeResults({"violations": violations}).generate_report()


OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > width + 0.5)
    .filter(e => !e.closest('.table-scroll, .visually-hidden'))
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
              + (e.className && typeof e.className === 'string'
                 ? '.' + e.className.trim().split(/\\s+/).join('.') : ''));
  return {scroll: document.documentElement.scrollWidth, client: width,
          wide: [...new Set(wide)].slice(0, 8)};
}"""


async def assert_no_horizontal_scroll(page) -> None:  # type: ignore[no-untyped-def]
    """The page fits its viewport's width: nothing to scroll sideways (tables scroll inside
    their own container)."""
    sizes = await page.evaluate(OVERFLOW)
    assert sizes["scroll"] <= sizes["client"], (
        f"{page.url} scrolls sideways: {sizes['scroll']}px of content in {sizes['client']}px, "
        f"wider elements: {', '.join(sizes['wide'])}"
    )
