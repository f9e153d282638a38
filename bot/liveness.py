"""Who holds an outbox claim, and whether that holder is surely dead.

A worker names itself in every claim it makes: this machine (its host name and, on Linux, the id
of its current boot), its process id, a random nonce for this process's life, and the worker's
name. Another worker on the same machine can then tell, at once, that a claim's holder is gone:
its process is no longer there (kill -9, out of memory, a crash), or its process id is now this
very process's in another life (a container restarted, whose processes start from the same ids).
Its rows are freed at once, rather than after their lease.

Only a certain death counts. A holder on another machine, or on this one before its last boot, or
where the operating system cannot say, keeps its rows until their lease runs out: the holder
renews the lease while it lives (bot/outbox.py), so that is seconds too.
"""

from __future__ import annotations

import functools
import os
import socket
import uuid
from pathlib import Path

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
_UNKNOWN = "-"


@functools.cache
def _boot() -> str:
    try:
        return _BOOT_ID.read_text().strip() or _UNKNOWN
    except OSError:
        return _UNKNOWN


@functools.cache
def _process(pid: int) -> str:
    """This process's name in claims; by pid, so a forked child gets a name of its own."""
    return f"{socket.gethostname()}|{_boot()}|{pid}|{uuid.uuid4().hex[:12]}"


def claimant(worker: str) -> str:
    """The name a worker of this process puts on its claims."""
    return f"{_process(os.getpid())}|{worker}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it is there
        return True
    try:  # a zombie is dead, however long its parent takes to reap it
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def dead(holder: str) -> bool:
    """True only when `holder` surely no longer runs: it ran on this machine since its last boot,
    and its process is gone, or its process id is this process's, in another life."""
    parts = holder.split("|")
    if len(parts) < 4:
        return False
    host, boot, pid, nonce = parts[:4]
    if host != socket.gethostname() or boot == _UNKNOWN or boot != _boot() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return nonce != _process(os.getpid()).split("|")[3]
    return not _running(int(pid))
