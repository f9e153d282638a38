"""What `knowhow run` writes to its log, and what it leaves out."""

from __future__ import annotations

import io
import logging

import pytest

from bot import logs


@pytest.fixture
def written():
    stream = io.StringIO()
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *logs.CHATTY)}
    handler = logs.configure(None, stream=stream)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_the_schedulers_routine_runs_are_not_logged_but_its_failures_are(written):
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "sweep_sessions (trigger: interval[0:00:30])"')
    executor.info('Job "sweep_sessions (trigger: interval[0:00:30])" executed successfully')
    executor.error('Job "post_scoreboard" raised an exception')
    logging.getLogger("apscheduler.scheduler").warning('Run time of job "open_session" was missed by 0:00:05')
    logging.getLogger("bot.service").info("Knowhow started")
    lines = written.getvalue().splitlines()
    assert not any("sweep_sessions" in line for line in lines)
    assert any("post_scoreboard" in line and "ERROR" in line for line in lines)
    assert any("was missed" in line for line in lines)
    assert any("Knowhow started" in line for line in lines)
