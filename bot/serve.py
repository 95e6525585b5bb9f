"""``weigrid serve``: one process, or several web processes on one port.

One process (``server.web_processes: 1``, the default) serves HTTP and runs the workers and the
scheduler, as the embedded default always has.

With ``web_processes: N > 1`` (Linux), the process started by ``weigrid serve`` is the *primary*: it
serves HTTP too, runs the workers and the scheduler, and is the only one that moves the SQLite
spool into the inbox table. It starts N - 1 *web processes* (``weigrid serve --web-only``) that only
acknowledge: verify, parse, commit to the spool (or, on PostgreSQL, the inbox table) and answer.
Every process binds its own socket to the same port with ``SO_REUSEPORT``, and the kernel spreads
new connections over them. Why: an ack is CPU in Python (AES, signature, XML or JSON, the commit, the
HTTP exchange), and one process has one core; bench/ingest.py measures what a second one buys.

What the primary does for the others:

* it moves their spooled messages: its spool mover polls every ``SHARED_POLL_S`` (bot/spool.py; an emergency acked
  by a web process reaches the inbox and preempts the worker within that, plus one move);
  on PostgreSQL (no spool) the web processes insert into the inbox table themselves and the primary's
  inbox worker finds their rows at its next poll (``inbox.poll_interval_s``, 0.2 s by default);
* SIGHUP (rules reload) is forwarded to them;
* a web process that dies is started again (at most once per ``RESTART_GAP_S`` per slot);
* on shutdown (SIGTERM, SIGINT) it stops them; a web process also exits when the primary is killed
  (``PR_SET_PDEATHSIG``).

Per-process state stays per process: ``/metrics`` shows the counters of the process that answered
(``/api/stats`` reads the database and is the same from any of them), and token buckets of the
outbox live in the primary, which alone delivers.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import uvicorn

from bot.settings import Settings

logger = logging.getLogger(__name__)

RESTART_GAP_S = 2.0
_PR_SET_PDEATHSIG = 1


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that other processes may bind too (SO_REUSEPORT).

    Not listening yet: uvicorn listens once the app's startup is complete. A socket that listened
    earlier would get its share of new connections while the process still loads (about a second)
    and hold them unanswered: bench/ingest.py saw a p99 of 569 ms from that.
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        raise RuntimeError("server.web_processes > 1 needs SO_REUSEPORT (Linux); use 1 here")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def die_with_parent() -> None:
    """Ask the kernel to SIGTERM this process when its parent dies (Linux; a no-op elsewhere)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent was gone before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


class WebProcesses:
    """Starts, watches and stops the extra web processes of the primary."""

    def __init__(self, *, count: int, host: str, port: int) -> None:
        self.cmd = [sys.executable, "-m", "bot", "serve", "--web-only", "--no-migrate"]
        self.cmd += ["--host", host, "--port", str(port)]
        self.count = count
        self.procs: list[subprocess.Popen[bytes]] = []
        self._started: list[float] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()  # no restart can slip in between stop's signal and its wait
        self._watcher = threading.Thread(target=self._watch, name="web-processes", daemon=True)

    def start(self) -> None:
        for _ in range(self.count):
            self.procs.append(self._spawn())
            self._started.append(time.monotonic())
        self._watcher.start()
        logger.info("started %d web process(es): %s", self.count, [p.pid for p in self.procs])

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.cmd, close_fds=True)  # noqa: S603 (our own interpreter and flags)

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for i, proc in enumerate(self.procs):
                if proc.poll() is None or time.monotonic() - self._started[i] < RESTART_GAP_S:
                    continue  # running, or a crash loop: try again a little later
                with self._lock:
                    if self._stop.is_set():
                        return
                    logger.error(
                        "web process %d exited with %s; starting it again", proc.pid, proc.returncode
                    )
                    self.procs[i] = self._spawn()
                    self._started[i] = time.monotonic()

    def signal_all(self, signum: int) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signum)

    def stop(self, timeout: float = 15.0) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self._stop.set()
            self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logger.warning("web process %d did not stop in time; killing it", proc.pid)
                proc.kill()
                proc.wait()


def run(settings: Settings, *, host: str, port: int, web_only: bool = False) -> None:
    """Serve until SIGTERM/SIGINT: one process, the primary with its web processes, or one web process."""
    from bot.app import create_app

    processes = settings.server.web_processes
    options: dict[str, Any] = {"log_level": "info", "access_log": False}
    if web_only:
        die_with_parent()
        web = settings.model_copy(
            update={
                "server": settings.server.model_copy(
                    update={"run_workers": False, "run_scheduler": False, "move_spool": False}
                )
            }
        )
        sock = reuse_port_socket(host, port)
        uvicorn.Server(uvicorn.Config(create_app(web), **options)).run(sockets=[sock])
        return
    if processes <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, **options)
        return
    sock = reuse_port_socket(host, port)  # bound before the others start: a taken port fails here
    app = create_app(settings)
    others = WebProcesses(count=processes - 1, host=host, port=port)
    app.state.sighup_hooks.append(lambda: others.signal_all(signal.SIGHUP))
    others.start()
    try:
        PrimaryServer(uvicorn.Config(app, **options), others).run(sockets=[sock])
    finally:
        others.stop()  # if the server failed to start; a no-op after a normal shutdown


class PrimaryServer(uvicorn.Server):
    """Stops the web processes first on shutdown, then itself.

    So that their last acks are in the spool before the primary's mover drains it, and because
    uvicorn re-raises the SIGTERM it caught once ``run`` ends, which leaves no ``finally`` to run.
    """

    def __init__(self, config: uvicorn.Config, others: WebProcesses) -> None:
        super().__init__(config)
        self.others = others

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await asyncio.to_thread(self.others.stop)
        await super().shutdown(sockets)
