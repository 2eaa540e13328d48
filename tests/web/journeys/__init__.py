"""Every journey of the web app's users, in a real browser: each in Italian and in English,
on a phone and on a desktop screen. The shared steps are in `steps`."""

from tests.web.journeys.steps import PASSWORD, Journey, latest_code, latest_message, sign_in

__all__ = ["PASSWORD", "Journey", "latest_code", "latest_message", "sign_in"]
