"""Where the shipped data and scenarios live.

The repository keeps them at its top level (``data/``, ``scenarios/``); an
installed package carries copies under ``stationsim/resources/`` made by the
build (``setup.py``).  Commands find them through :func:`data_dir` and
:func:`scenarios_dir`, so ``stationsim validate`` or ``stationsim explore``
work from any folder after a plain ``pip install``.  In a source checkout
(an editable install) the top-level folders are used, so edits show at once.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

_UMASK = os.umask(0)
os.umask(_UMASK)
_PACKAGE = Path(__file__).resolve().parent.parent
#: Copies made by the build of an installed package.
RESOURCES = _PACKAGE / "resources"


def _checkout() -> Path | None:
    """The repository root when running from its ``src/`` folder, else None."""
    root = _PACKAGE.parent.parent
    if (root / "pyproject.toml").is_file() and (root / "data").is_dir():
        return root
    return None


def shipped(kind: str) -> Path:
    """The folder of shipped ``kind`` (``"data"`` or ``"scenarios"``)."""
    if kind not in ("data", "scenarios"):
        raise ValueError(f"unknown kind of shipped files {kind!r}; allowed: data, scenarios")
    root = _checkout()
    if root is not None:
        return root / kind
    return RESOURCES / kind


def data_dir() -> Path:
    """The folder of the shipped data (``data/``)."""
    return shipped("data")


def scenarios_dir() -> Path:
    """The folder of the shipped scenarios (``scenarios/``)."""
    return shipped("scenarios")


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Every file the package writes goes through here (re-exported by
    :mod:`stationsim.running.results`); it lives in the lowest room so that
    :mod:`stationsim.inputs` may write its mapped data too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
