"""Shared test set-up: builders live in ``helpers.py``, importable from every test module."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

# Hypothesis: explore freshly on a developer's machine, but derandomize under
# CI (CI=true) so a CI run is reproducible; a failure found locally is pinned
# with @example or reproduce_failure before it lands.
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
