"""Export: the scenario on screen, with the values applied, as a self-contained
TOML file that ``stationsim run`` accepts.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import tomli_w

from stationsim.app.explore.parameters import ExplorerModel
from stationsim.app.explore.scenarios import ENV_EXPORT_DIR
from stationsim.running.results import atomic_write


def export_text(model: ExplorerModel) -> str:
    """The model's scenario as TOML that ``stationsim run`` accepts (states inlined)."""
    changed = ", ".join(f"{p} = {json.dumps(v)}" for p, v in model.changed.items()) or "none"
    head = (f"# Exported by `stationsim explore` from {model.scenario_file}\n"
            f"# Values changed on the page: {changed}\n"
            "# Run it: stationsim run THIS_FILE (the page showed its replication 0)\n\n")
    return head + tomli_w.dumps(model.spec.raw())


def export_scenario(model: ExplorerModel, folder: Path | str) -> Path:
    """Write :func:`export_text` to ``folder/<scenario>_explore_<hash>.toml`` (atomically).

    The name carries a hash of the content, so the same values give the same
    file and different values never overwrite each other.
    """
    text = export_text(model)
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    path = Path(folder) / f"{model.spec.name}_explore_{digest}.toml"

    def _write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, _write)
    return path


def export_dir() -> Path:
    """Where the export button writes: :data:`ENV_EXPORT_DIR`, else ``./exports``."""
    return Path(os.environ.get(ENV_EXPORT_DIR) or "exports")
