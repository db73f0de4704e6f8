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


# The fast loop (`pytest -m "not slow"`) leaves out every test that starts another
# process (the CLI through subprocess, the explorer's server, the browser) or is
# marked slow by hand.  A test is found to start a process when its source, or the
# source of a fixture it uses or of a module-level helper either calls, names
# subprocess/Popen/run_cli.
import inspect  # noqa: E402
import re  # noqa: E402

import pytest  # noqa: E402

_PROCESS = re.compile(r"\b(subprocess|Popen|run_cli|_console_script)\b")


def _starts_process(fn: object, module: object, seen: set[str]) -> bool:
    try:
        src = inspect.getsource(fn)  # type: ignore[arg-type]
    except (OSError, TypeError):
        return False
    if _PROCESS.search(src):
        return True
    for name in set(re.findall(r"\b([A-Za-z_]\w*)\(", src)) - seen:
        seen.add(name)
        helper = getattr(module, name, None)
        if inspect.isfunction(helper) and helper.__module__ == getattr(module, "__name__", ""):
            if _starts_process(helper, module, seen):
                return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fn = getattr(item, "function", None)
        if fn is None:
            continue
        funcs = [fn]
        info = getattr(item, "_fixtureinfo", None)
        for defs in (info.name2fixturedefs.values() if info is not None else ()):
            funcs += [d.func for d in defs]
        if any(_starts_process(f, inspect.getmodule(f) or item.module, set())  # type: ignore[attr-defined]
               for f in funcs):
            item.add_marker(pytest.mark.slow)
