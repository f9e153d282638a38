"""The floor for bench/ask_ack_latency.py: a Bolt app whose listeners only ack, served like Knowhow.

Knowhow's HTTP mode is Cheroot's WSGI server (16 threads, a listen queue of 1024: see
bot/server.py) in front of Bolt with `process_before_response`. This app runs on that same
server stack, with Bolt's own WSGI adapter, so the difference the bench measures is what
Knowhow does in its listeners, not the server. Bolt checks each request's v0 signature
itself (an unsigned one gets 401). Like Knowhow, it checks its token once with auth.test on
the Slack stand-in the bench runs; its listeners never call Slack.

    python bench/bare_bolt.py PORT    (SLACK_SIGNING_SECRET, BARE_BOLT_TOKEN, SLACK_API_URL set)
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading

from cheroot import wsgi
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

SERVER_THREADS = 16  # as bot/server.py HttpServer
REQUEST_QUEUE_SIZE = 1024


def make_app(signing_secret: str, token: str, api_url: str) -> App:
    # Bolt's single-team authorization calls auth.test once (at start, or at the first request
    # with token_verification_enabled=False) and keeps the answer: as Knowhow, ask the stand-in.
    client = WebClient(token=token, base_url=api_url)
    app = App(client=client, signing_secret=signing_secret, process_before_response=True)

    @app.command("/ask")
    def ask(ack):
        ack(response_type="ephemeral", text="Got it")  # JSON, as Knowhow's ack

    @app.event("message")
    def message(ack):
        ack()

    @app.action(re.compile(".*"))
    def action(ack):
        ack()

    return app


def main() -> None:
    port = int(sys.argv[1])
    server = wsgi.Server(
        ("127.0.0.1", port),
        SlackRequestHandler(
            make_app(os.environ["SLACK_SIGNING_SECRET"], os.environ["BARE_BOLT_TOKEN"], os.environ["SLACK_API_URL"])
        ),
        numthreads=SERVER_THREADS,
        request_queue_size=REQUEST_QUEUE_SIZE,
    )
    server.prepare()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.stop, daemon=True).start())
    server.serve()


if __name__ == "__main__":
    main()
