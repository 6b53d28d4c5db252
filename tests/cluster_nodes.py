"""Real Xapian server processes (xapian-tcpsrv) on 127.0.0.1, for the cluster tests and bench."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    """One xapian-tcpsrv serving one shard folder. It forks a child per connection, so it runs
    in a process group of its own and stop() ends the whole group, as a dead machine would."""

    def __init__(self, program: str, shard: Path, port: int | None = None) -> None:
        self.program, self.shard = program, shard
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, wait: float = 10.0) -> "Node":
        self.proc = subprocess.Popen(
            [self.program, "--port", str(self.port), "--interface", "127.0.0.1", "--quiet",
             str(self.shard)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.program} on port {self.port} exited: "
                                   f"{self.proc.stderr.read().decode(errors='replace').strip()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"{self.program} did not listen on port {self.port} within {wait} s")

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc.stderr.close()
        self.proc = None
