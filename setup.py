"""Build step: copy the top-level ``data/`` and ``scenarios/`` into the package.

Everything else is in ``pyproject.toml``.  The copies land in
``stationsim/resources/`` of the built package only, so a plain install
(``pip install .``) finds them from any folder (``stationsim.inputs.files``);
the repository keeps one copy of each file.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithResources(build_py):
    """``build_py`` that also copies the shipped data and scenarios."""

    def run(self) -> None:
        super().run()
        dest = Path(self.build_lib) / "stationsim" / "resources"
        for name in ("data", "scenarios"):
            src = ROOT / name
            if src.is_dir():
                shutil.copytree(src, dest / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithResources})
