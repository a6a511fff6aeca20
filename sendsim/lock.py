"""Lock files that hold on shared cluster filesystems (NFS, Lustre, GPFS) as on a laptop.

A lock is a small file naming its holder (host, process id and start time, a random token).
It is made by writing a private file and hard-linking it to the lock's name, which is atomic
on NFS (where ``O_EXCL`` is not, on old clients). While held, a background thread refreshes
the file's time every :data:`HEARTBEAT_S` seconds. A lock is taken over when its holder no
longer runs on this host (its process id gone, or reused by a later process, as in a restarted
container), or when it has not been refreshed for :data:`STALE_S` seconds (a job killed on
another node).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HEARTBEAT_S = 30.0
STALE_S = 600.0  # 20 missed heartbeats: a slow shared filesystem is not a dead holder


@dataclass(frozen=True)
class Holder:
    """Who holds a lock."""

    host: str
    pid: int
    started: str  # the process's start time in clock ticks since boot ("-" if unknown)
    token: str

    @classmethod
    def me(cls) -> Holder:
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _started(pid), secrets.token_hex(8))

    @classmethod
    def read(cls, path: Path) -> Holder | None:
        """The holder written in ``path`` (None if it is gone or unreadable)."""
        try:
            host, pid, started, token = path.read_text(encoding="utf-8").split()
            return cls(host, int(pid), started, token)
        except (OSError, ValueError):
            return None

    def text(self) -> str:
        return f"{self.host} {self.pid} {self.started} {self.token}\n"

    def __str__(self) -> str:
        return f"process {self.pid} on {self.host}"


@contextlib.contextmanager
def hold(path: Path) -> Iterator[Holder | None]:
    """Try to take the lock at ``path``: yields None if taken (and releases it on exit), else
    the live holder that has it."""
    me = Holder.me()
    other = _acquire(path, me)
    if other is not None:
        yield other
        return
    stop = threading.Event()
    heartbeat = threading.Thread(target=_beat, args=(path, stop), daemon=True)
    heartbeat.start()
    try:
        yield None
    finally:
        stop.set()
        heartbeat.join()
        if Holder.read(path) == me:  # not taken over meanwhile
            path.unlink(missing_ok=True)


def _acquire(path: Path, me: Holder) -> Holder | None:
    """Take the lock (None) or return its live holder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mine = path.with_name(f".{path.name}.{me.host}.{me.pid}.{me.token}")
    mine.write_text(me.text(), encoding="utf-8")
    try:
        for _ in range(3):  # a stale lock is broken, then taken, at most twice in a race
            if _link(mine, path):
                return None
            holder = Holder.read(path)
            if holder is not None and not stale(path, holder):
                return holder
            _break(path, holder)
        return Holder.read(path) or me
    finally:
        mine.unlink(missing_ok=True)


def _link(mine: Path, path: Path) -> bool:
    try:
        os.link(mine, path)
        return True
    except OSError:
        # NFS may report an error for a link it made (a retried request): count the links
        return mine.stat().st_nlink == 2


def stale(path: Path, holder: Holder) -> bool:
    """Whether ``holder``'s job is dead: gone from this host, or silent for too long."""
    if holder.host == socket.gethostname() and not _alive(holder):
        return True
    try:
        return time.time() - path.stat().st_mtime > STALE_S
    except OSError:
        return True


def _alive(holder: Holder) -> bool:
    """Whether the holder's process runs on this host (not a later one given its id, as in a
    container restarted by the scheduler)."""
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return holder.started in ("-", _started(holder.pid))


def _started(pid: int) -> str:
    """A process's start time from /proc (Linux), "-" where there is none."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "-"
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name before ")" may hold spaces


def _break(path: Path, seen: Holder | None) -> None:
    """Remove the stale lock ``seen``; a lock taken by someone else meanwhile is put back."""
    aside = path.with_name(f".{path.name}.stale.{secrets.token_hex(8)}")
    try:
        os.rename(path, aside)
    except OSError:
        return  # already broken by another job
    if Holder.read(aside) != seen:
        with contextlib.suppress(OSError):
            os.link(aside, path)
    aside.unlink(missing_ok=True)


def _beat(path: Path, stop: threading.Event) -> None:
    while not stop.wait(HEARTBEAT_S):
        with contextlib.suppress(OSError):
            os.utime(path)
