"""The two commands: `make run` serves on the port asked for (PORT=…), 8000 otherwise."""
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dry_run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "MAKEFLAGS", "MAKELEVEL")}
    out = subprocess.run(["make", "-n", "-W", "pyproject.toml", "run", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if "kairan serve" in line][0]


def test_make_run_serves_on_the_port_given():
    assert dry_run("PORT=8123").endswith("kairan serve --port 8123")


def test_make_run_serves_on_8000_by_default():
    assert dry_run().endswith("kairan serve --port 8000")
