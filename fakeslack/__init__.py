"""A Slack stand-in on loopback, for tests and the local playground.

- `FakeSlack` serves the Web API methods Knowhow calls and the `response_url`s it answers,
  records every call, and can be told to fail (`ok: false`, HTTP 429 with Retry-After, 5xx).
  Its methods are in `fakeslack.methods` (one module per family); code built on it replaces or
  wraps them through `FakeSlack.methods`/`handler`, and reads its state through `FakeSlack.store`.
- `SlackSender` signs and delivers requests to an app exactly as Slack does: slash commands as
  form bodies, events as `event_callback` JSON, interactions as `payload=` forms.
- `fakeslack.http`: the Content-Length parser and bounded body reader both local servers share.
"""

from fakeslack.http import Answer
from fakeslack.sender import SlackSender
from fakeslack.server import Call, FakeSlack

__all__ = ["Answer", "Call", "FakeSlack", "SlackSender"]
