"""What the executor raises: bad input (:class:`ExecutorInputError` and its kinds), a run
that failed (:class:`RunFailed`) and the machine's faults (:class:`MachineFault`).
"""

from __future__ import annotations


class ExecutorInputError(ValueError):
    """Bad input to the executor (the CLI exits 2); nothing has been written."""


class OutputError(ExecutorInputError):
    """The output folder cannot be used (exists, or holds another job)."""


class SchedulerError(ExecutorInputError):
    """The dask scheduler given by address cannot be reached."""


class RunFailed(RuntimeError):
    """A run raised; the message names its run id, point, replication and seed."""


class MachineFault(RuntimeError):
    """The machine failed the job (disk full, file system error, a worker killed by the OS).

    The message is one line: what failed, that the finished chunks are kept, and how to
    resume.  The CLI prints it without a traceback and exits 1.  ``cause`` is what
    failed, without the advice.
    """

    def __init__(self, message: str, cause: str = "") -> None:
        super().__init__(message)
        self.cause = cause or message


class WorkerDied(MachineFault):
    """A pool worker died (killed by the OS, e.g. out of memory) more often than retried."""
