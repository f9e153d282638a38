"""A Slack stand-in on loopback, for tests and (later) the local playground.

- `FakeSlack` serves the Web API methods Knowhow calls and the `response_url`s it answers,
  records every call, and can be told to fail (`ok: false`, HTTP 429 with Retry-After, 5xx).
- `SlackSender` signs and delivers requests to an app exactly as Slack does: slash commands as
  form bodies, events as `event_callback` JSON, interactions as `payload=` forms.
"""

from fakeslack.sender import SlackSender
from fakeslack.server import Call, FakeSlack

__all__ = ["Call", "FakeSlack", "SlackSender"]
