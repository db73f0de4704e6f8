"""One writer per results folder: an OS file lock held for the life of a job.

:class:`FolderLock` takes ``fcntl.flock`` on ``OUT/.lock`` (exclusive, not
blocking).  A second process that wants to write into the same folder is
refused at once (:class:`FolderBusy`, naming the holder's pid); the lock is
released by the operating system when the holder dies, so a lock left behind
by a killed process is taken over by the next job.  The lock file is removed
on a clean release; a taker checks that the file it locked is still the one
at the path, so a release racing with a new taker never gives two holders.

Also here: :func:`prepare_folder`, which checks before any work that an
output folder can be created and written, and removes what it created when
the job is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path
from types import TracebackType

try:  # POSIX; elsewhere the folder is not locked (the check of its contents still applies)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"

#: lock file descriptors held by this process (closed in forked pool workers, so that a
#: killed parent's lock is released even while its workers finish dying)
HELD: set[int] = set()


class PlaceError(ValueError):
    """An output place cannot be used (under a file, not writable): bad input, exit 2."""


class FolderBusy(PlaceError):
    """Another live process holds the folder's lock."""


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(path.read_text(encoding="ascii").split()[0])
        return f" (pid {pid})"
    return ""


def prepare_folder(folder: Path) -> list[Path]:
    """Create ``folder`` (and missing parents) and check it can be written.

    Returns the folders created (outermost first), so a refused job can remove
    them with :func:`remove_created`.

    Raises
    ------
    PlaceError
        If a part of the path is a file, or the folder cannot be created or
        written (read-only file system, no permission); nothing is left behind.
    """
    folder = Path(folder)
    missing: list[Path] = []
    p = folder
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    missing.reverse()
    if p.exists() and not p.is_dir():
        where = "is a file" if p == folder else f"is under {p}, which is a file"
        raise PlaceError(f"{folder}: output folder {where}; choose another --out")
    created: list[Path] = []
    try:
        for m in missing:
            m.mkdir()
            created.append(m)
        probe = folder / f".probe.{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        remove_created(created)
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise PlaceError(f"{folder}: cannot write the output folder ({reason}); "
                         "choose another --out") from None
    return created


def remove_created(created: list[Path]) -> None:
    """Remove the folders :func:`prepare_folder` created, innermost first, if empty."""
    for m in reversed(created):
        with contextlib.suppress(OSError):
            m.rmdir()


class FolderLock:
    """An exclusive lock on ``folder`` (``folder/.lock``), as a context manager.

    Raises :class:`FolderBusy` on entry when another process holds it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        if fcntl is None:  # pragma: no cover
            return self
        for _ in range(20):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                os.close(fd)
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise FolderBusy(
                        f"{self.folder}: another stationsim process{_holder(self.path)} is "
                        "writing to this folder; wait for it to finish (then --resume if "
                        "needed), or choose another --out") from None
                raise
            try:  # the file locked must still be the one at the path (not just released)
                same = os.path.samestat(os.fstat(fd), os.stat(self.path))
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self.fd = fd
            HELD.add(fd)
            return self
        raise FolderBusy(f"{self.folder}: the folder's lock keeps changing hands; "
                         "another process is using it")

    def release(self) -> None:
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        HELD.discard(fd)
        with contextlib.suppress(OSError):
            self.path.unlink()
        with contextlib.suppress(OSError):
            os.close(fd)  # closing releases the flock

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def close_inherited() -> None:
    """In a forked child: close the parent's lock descriptors (the parent keeps its locks)."""
    for fd in list(HELD):
        with contextlib.suppress(OSError):
            os.close(fd)
    HELD.clear()


__all__ = ["LOCK_NAME", "FolderBusy", "FolderLock", "PlaceError", "close_inherited",
           "prepare_folder", "remove_created"]
