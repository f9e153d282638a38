"""The HTTP server's graceful stop: a request in flight when the stop comes still gets its answer."""

from __future__ import annotations

import threading
import time
import urllib.request

from bot.server import HttpServer


def test_requests_in_flight_finish_when_the_server_stops():
    started = threading.Event()

    def slow_app(environ, start_response):
        started.set()
        # Answer only once the stop has begun (cheroot's `ready` drops first): the stop must wait for it.
        deadline = time.monotonic() + 5
        while server.server.ready and time.monotonic() < deadline:
            time.sleep(0.005)
        assert not server.server.ready, "the server was never stopped"
        time.sleep(0.05)  # and a little longer, while the stop goes on
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"done"]

    server = HttpServer(slow_app, "127.0.0.1", 0, threads=2)
    server.start()
    answers = []

    def call():
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5) as answer:
            answers.append((answer.status, answer.read()))

    client = threading.Thread(target=call)
    client.start()
    assert started.wait(5)
    server.stop()
    client.join(5)
    assert answers == [(200, b"done")]
    # And it no longer accepts anything.
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=1)
    except OSError:
        pass
    else:
        raise AssertionError("the stopped server still answered")
