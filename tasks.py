#!/usr/bin/env python3
"""Developer entry point that needs nothing but Python 3.11+: bootstraps uv, syncs the locked environment,
then runs the demo, the tests or the UI.

    python3 tasks.py demo      simulated logs → every asset → reports (prints the headline)
    python3 tasks.py test      ruff, mypy and the whole pytest suite (what CI runs)
    python3 tasks.py ui        `dg dev` (the Dagster UI) on http://127.0.0.1:3000 with the project's DAGSTER_HOME
    python3 tasks.py nudge …   any `nudge` command in the project environment
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"
UV_VERSION = "0.13.9"


def uv() -> str:
    """The uv executable: on PATH, or installed once into .tools/ with pip."""
    found = shutil.which("uv")
    if found:
        return found
    bin_dir = TOOLS / ("Scripts" if os.name == "nt" else "bin")
    exe = bin_dir / ("uv.exe" if os.name == "nt" else "uv")
    if not exe.exists():
        print(f"bootstrapping uv {UV_VERSION} into {TOOLS} …", flush=True)
        venv.create(TOOLS, with_pip=True)
        subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "-q", f"uv=={UV_VERSION}"], check=True)
    return str(exe)


def env() -> dict[str, str]:
    e = dict(os.environ)
    e.setdefault("DAGSTER_HOME", str(ROOT / "dagster_home"))
    e.setdefault("UV_PYTHON_DOWNLOADS", "never")  # use the machine's Python; no network beyond the registries
    return e


def sync() -> None:
    # --compile-bytecode: installed packages come with their .pyc files, so no command pays to compile Dagster's
    # sources again (they would be recompiled at every start where PYTHONDONTWRITEBYTECODE is set: ~4 s each)
    subprocess.run([uv(), "sync", "--locked", "--quiet", "--compile-bytecode"], cwd=ROOT, env=env(), check=True)


def in_env(*args: str) -> int:
    return subprocess.run([uv(), "run", "--locked", "--quiet", *args], cwd=ROOT, env=env()).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "ui", "nudge"}:
        print(__doc__)
        return 2
    sync()
    command, rest = argv[0], argv[1:]
    if command == "demo":
        return in_env("nudge", "demo", *rest)
    if command == "nudge":
        return in_env("nudge", *rest)
    if command == "ui":
        return in_env("dg", "dev", "-h", "127.0.0.1", "-p", "3000", *rest)
    for step in (("ruff", "check", "."), ("mypy",), ("pytest", *rest)):
        code = in_env(*step)
        if code != 0:
            print(f"tasks.py test: `{' '.join(step)}` failed (exit {code})", file=sys.stderr)
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
