"""Serving the page: its scripts fetched beforehand where the public CDN cannot
be reached, the listen check, and ``solara run`` in a child process.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import solara

from stationsim.app.explore.scenarios import (
    ENV_EXPORT_DIR,
    ENV_SCENARIO,
    ENV_SCENARIOS_DIR,
    ServeError,
    initial_scenario,
    scenarios_dir,
)
from stationsim.model.scenario import load_scenario

# The page's scripts and styles are npm packages that solara serves through its
# CDN proxy (/_solara/cdn/<package>@<version>/...): on the first request it
# fetches them from a public CDN into its cache folder.  Where that CDN cannot
# be reached (offline machines, CI) but the npm registry can, `npm pack` fills
# the same cache beforehand, so the page loads entirely from this machine.

_CDN_REF = re.compile(r"\{\{cdn\}\}/((?:@[\w.-]+/)?[\w.-]+)@(\d[\w.+-]*)/")


def cdn_packages() -> list[str]:
    """The npm packages (``name@version``) the page loads through solara's CDN proxy:
    the vuetify app that matches the installed ipyvue, require.js and Font Awesome."""
    import ipyvue
    import solara.server.settings as settings

    template = Path(solara.__file__).parent / "server" / "templates" / "solara.html.j2"
    found = dict.fromkeys(f"{n}@{v}" for n, v in _CDN_REF.findall(template.read_text()))
    app = "solara-vuetify3-app@" if str(ipyvue.__version__).startswith("3") else \
        "solara-vuetify-app@"
    out = [p for p in found if "solara-vuetify" not in p or f"/{app}" in p]
    if settings.assets.fontawesome_enabled:
        out += [f"{n}@{v}" for n, v in _CDN_REF.findall("{{cdn}}"
                                                        + settings.assets.fontawesome_path)]
    return out


def asset_cache() -> Path:
    """Solara's CDN proxy cache (``SOLARA_ASSETS_PROXY_CACHE_DIR`` or its default)."""
    import solara.server.settings as settings

    return Path(settings.assets.proxy_cache_dir)


def ensure_assets(cache: Path | None = None, echo: Any = print) -> list[str]:
    """Put every package of :func:`cdn_packages` missing from ``cache`` there with
    ``npm pack``; return those still missing (solara's proxy then tries the CDN)."""
    import shutil
    import tarfile
    import tempfile

    cache = cache if cache is not None else asset_cache()
    missing = [p for p in cdn_packages() if not (cache / p / "package.json").is_file()]
    npm = shutil.which("npm")
    if not missing or npm is None:
        return missing
    echo(f"fetching the page's scripts with npm (once, into {cache}): {', '.join(missing)}")
    left = []
    for spec in missing:
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([npm, "pack", "--silent", "--pack-destination", tmp, spec],
                                  capture_output=True, text=True, timeout=300, check=False)
            tars = sorted(Path(tmp).glob("*.tgz"))
            if proc.returncode != 0 or not tars:
                left.append(spec)
                continue
            unpacked = Path(tmp) / "unpacked"
            with tarfile.open(tars[0]) as tar:
                tar.extractall(unpacked, filter="data")
            target = cache / spec
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(target, ignore_errors=True)
            roots = list(unpacked.iterdir())  # npm's tarballs hold one folder, "package/"
            shutil.move(str(roots[0] if len(roots) == 1 else unpacked), str(target))
    if left:
        echo(f"warning: npm could not fetch {', '.join(left)}; the page loads them through "
             "the public CDN instead")
    return left


# ---------------------------------------------------------------------- serve


def check_listen(host: str, port: int) -> None:
    """Raise :class:`ServeError` unless ``host:port`` can be listened on now."""
    if not 0 < port < 65536:
        raise ServeError(f"--port {port}: must be in 1..65535")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise ServeError(f"--host {host!r}: cannot resolve it ({exc})") from None
    family, _, _, _, addr = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(addr)
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port} ({exc.strerror}); "
                             "choose another --port") from None


def server_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command serving :func:`Page` (production mode, nothing fetched)."""
    return [sys.executable, "-m", "solara", "run", "stationsim.app.explore.page", "--host",
            host, "--port", str(port), "--production", "--no-open", "--no-check-version",
            "--log-level", "warning"]


def serve(scenario: Path | None = None, *, host: str = "127.0.0.1", port: int = 8765,
          export: Path | str = "exports", scenarios: Path | None = None,
          echo: Any = print) -> int:
    """Serve the page until interrupted; return the server's exit code.

    Parameters
    ----------
    scenario : Path, optional
        The scenario to open (default: ``css_vs_iss.toml`` of ``scenarios``).
    host, port
        Where to listen (default: loopback only).
    export : Path
        Folder the export button writes to.
    scenarios : Path, optional
        Folder whose ``*.toml`` files the picker offers (default:
        :func:`scenarios_dir`; with ``scenario`` given: its folder).

    Raises
    ------
    ScenarioError
        If the scenario file is missing or invalid.
    ServeError
        If the port or host cannot be used.
    """
    folder = scenarios if scenarios is not None else (
        scenario.parent if scenario is not None else scenarios_dir())
    first = scenario if scenario is not None else initial_scenario(folder)
    load_scenario(first)  # a bad file: exit 2 before anything starts
    if not folder.is_dir():
        raise ServeError(f"--scenarios {folder}: not a folder")
    check_listen(host, port)
    ensure_assets(echo=echo)
    env = {**os.environ,
           ENV_SCENARIO: str(first.resolve()),
           ENV_SCENARIOS_DIR: str(folder.resolve()),
           ENV_EXPORT_DIR: str(Path(export).resolve()),
           "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "MPLBACKEND": "Agg",
           # solara warns about iframe cookies on every plain-http address but localhost
           "PYTHONWARNINGS": ",".join(filter(None, [
               os.environ.get("PYTHONWARNINGS"),
               "ignore:Cookies with samesite=none require https:UserWarning"]))}
    proc = subprocess.Popen(server_command(host, port), env=env)

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM stop the server (also when started where SIGINT is ignored)
    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    shown = f"[{host}]" if ":" in host else host
    echo(f"stationsim explore: {first} on http://{shown}:{port}/ (Ctrl-C to stop)")
    if host not in ("127.0.0.1", "::1", "localhost"):
        echo(f"warning: listening on {host}: anyone who can reach it can run models and "
             f"write exports to {export}")
    try:
        return proc.wait()
    except KeyboardInterrupt:
        _terminate(proc)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            _terminate(proc)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
