"""A private PgBouncer in transaction pooling mode in front of the shared PostgreSQL, for tests
and the team benchmark: Debian's `pgbouncer`, on a free loopback port, with trust auth.

PgBouncer refuses to run as root: as root it runs as the `postgres` system user (`setpriv`), in
a folder given to that user, like the private PostgreSQL of the resilience tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RUN_AS = "postgres"
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unavailable_reason() -> str | None:
    """Why no PgBouncer can be started here, or None."""
    if not shutil.which("pgbouncer"):
        return "pgbouncer is not installed (apt-get install -y pgbouncer)"
    if os.geteuid() == 0:
        if not shutil.which("setpriv"):
            return "running as root, and setpriv is missing to run pgbouncer as another user"
        try:
            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root, and there is no {RUN_AS!r} user to run pgbouncer as"
    return None


@dataclass
class PgBouncer:
    port: int
    folder: Path

    def url(self, user: str, database: str) -> str:
        """A PROJECT_STATUS_DATABASE_URL through this PgBouncer, with the option it needs."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}?pgbouncer=true"

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


@contextmanager
def pgbouncer(
    users: Sequence[str],
    *,
    server_port: int = 5432,
    pool_size: int = 10,
    max_client_conn: int = 1000,
) -> Iterator[PgBouncer]:
    """PgBouncer until the block ends: every database of 127.0.0.1:`server_port`, these users
    (trust), at most `pool_size` server connections per user and database."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(reason)
    folder = Path(tempfile.mkdtemp(prefix="ps-pgbouncer-"))
    port = free_port()
    (folder / "users.txt").write_text("".join(f'"{user}" ""\n' for user in users))
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host=127.0.0.1 port={server_port}\n"
        "[pgbouncer]\n"
        "listen_addr = 127.0.0.1\n"
        f"listen_port = {port}\n"
        "unix_socket_dir =\n"
        "auth_type = trust\n"
        f"auth_file = {folder / 'users.txt'}\n"
        "pool_mode = transaction\n"
        f"default_pool_size = {pool_size}\n"
        "min_pool_size = 0\n"
        "reserve_pool_size = 0\n"
        f"max_client_conn = {max_client_conn}\n"
        "ignore_startup_parameters = extra_float_digits\n"
        f"logfile = {folder / 'pgbouncer.log'}\n"
        f"pidfile = {folder / 'pgbouncer.pid'}\n"
    )
    argv = ["pgbouncer", str(folder / "pgbouncer.ini")]
    if os.geteuid() == 0:
        entry = pwd.getpwnam(RUN_AS)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
        for child in folder.iterdir():
            os.chown(child, entry.pw_uid, entry.pw_gid)
        argv = ["setpriv", f"--reuid={RUN_AS}", f"--regid={RUN_AS}", "--init-groups", *argv]
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, cwd=folder
    )
    running = PgBouncer(port, folder)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited with {process.returncode}:\n{running.log()}")
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.settimeout(0.2)
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise TimeoutError(f"pgbouncer did not listen on {port}:\n{running.log()}")
            time.sleep(0.05)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
