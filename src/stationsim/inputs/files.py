"""Where the shipped data and scenarios live.

The repository keeps them at its top level (``data/``, ``scenarios/``); an
installed package carries copies under ``stationsim/resources/`` made by the
build (``setup.py``).  Commands find them through :func:`data_dir` and
:func:`scenarios_dir`, so ``stationsim validate`` or ``stationsim explore``
work from any folder after a plain ``pip install``.  In a source checkout
(an editable install) the top-level folders are used, so edits show at once.
"""

from __future__ import annotations

from pathlib import Path

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
