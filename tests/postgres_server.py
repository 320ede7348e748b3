"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a cluster in a
temporary folder, a loopback port, stopped at the end. No mock database.

PostgreSQL refuses to run as root, and CI runs as root: the cluster then belongs to `nobody` and
its programs run through `runuser`. Each test gets a database of its own (`fresh_database`), so
tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

UNPRIVILEGED = "nobody"


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder (`/usr/lib/postgresql/<version>/bin`), or one on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    """A loopback port nothing listens on, chosen below the kernel's ephemeral range: a port the
    kernel hands out for port 0 is also what it gives outgoing connections, so between this probe
    and the server's own bind another process's client could take it ("already in use", seen in a
    clean `make test` beside a chaos soak)."""
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = secrets.randbelow(max(1, low - 20000)) + 20000 if low > 20001 else 0
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    with socket.socket() as probe:  # every probe taken: let the kernel choose
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


@dataclass
class PostgresServer:
    """A running cluster: `url(database)` to connect, `create_database()` for a fresh one."""

    folder: Path
    port: int
    bin: Path
    user: str = "chatops"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        name = f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def start(self) -> None:
        # fsync off: the tests kill bot processes, never the database server; sockets stay in the folder
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off "
                   "-c full_page_writes=off -c max_connections=300")
        started = _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-o", options,
                             "-l", str(self.folder / "server.log"), "-w", "-t", "60", "start"], check=False)
        if started.returncode != 0:
            log = (self.folder / "server.log").read_text() if (self.folder / "server.log").exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")

    def stop(self, mode: str = "immediate") -> None:
        _as_owner([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", mode, "-w", "stop"],
                  check=False)


def _as_owner(command: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program as the cluster's owner: `nobody` when we are root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", UNPRIVILEGED, "--", *command]
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=120)


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a cluster (initdb + pg_ctl) for the duration of the block."""
    binaries = postgres_bin()
    if binaries is None:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql); `make test` installs it")
    folder = Path(tempfile.mkdtemp(prefix="chatops-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, UNPRIVILEGED)
    folder.chmod(0o700)
    server = PostgresServer(folder=folder, port=free_port(), bin=binaries)
    try:
        _as_owner([str(binaries / "initdb"), "-D", str(folder / "data"), "-U", server.user, "-A", "trust",
                   "-E", "UTF8", "--no-sync"])
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


_shared: PostgresServer | None = None
_stack = contextlib.ExitStack()


def shared_server() -> PostgresServer:
    """One server for the whole test run, started on first use and stopped when the run ends."""
    global _shared
    if _shared is None:
        import atexit

        _shared = _stack.enter_context(running_postgres())
        atexit.register(_stack.close)
    return _shared


SUITE_BACKEND_VARIABLE = "CHATOPS_TEST_STORAGE"


def suite_backend() -> str:
    """`CHATOPS_TEST_STORAGE=postgresql pytest` runs every test that stores anything on PostgreSQL
    (a fresh database each); unset, they use SQLite files."""
    value = os.environ.get(SUITE_BACKEND_VARIABLE, "sqlite").strip().lower() or "sqlite"
    if value not in ("sqlite", "postgresql"):
        raise RuntimeError(f"{SUITE_BACKEND_VARIABLE} must be sqlite or postgresql, not {value!r}")
    return value
