"""Run the real `kiosk` command in a subprocess with its own KIOSK_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


class KioskCli:
    def __init__(self, home: Path, env: dict[str, str] | None = None) -> None:
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, "KIOSK_HOME": str(home), **(env or {})}

    def run(self, *args: str, check: bool = True, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "kiosk", *args], env=self.env, text=True,
                              capture_output=True, timeout=timeout, input=input)
        if check and proc.returncode != 0:
            raise AssertionError(f"kiosk {' '.join(args)} → {proc.returncode}\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr[-2000:]}")
        return proc

    def json(self, *args: str, check: bool = True, **kw: Any) -> Any:
        proc = self.run(*args, "--json", check=check, **kw)
        return json.loads(proc.stdout)

    def provision(self, server_url: str, code: str, name: str) -> dict:
        return self.json("provision", "--server", server_url, "--code", code, "--name", name,
                         "--noinput")
