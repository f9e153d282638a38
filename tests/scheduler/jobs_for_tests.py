"""A job that leaves a trace, so tests can count its runs across scheduler restarts.

APScheduler stores jobs by reference ("module:function"), so it must be a module-level function.
"""

from __future__ import annotations

from pathlib import Path


def leave_trace(path: str, tag: str) -> None:
    with Path(path).open("a") as out:
        out.write(tag + "\n")
