"""Several server processes on one port, and the one process that keeps them running.

``python -m server --workers N`` (or ``WORKERS=N``, ``auto`` for one per CPU)
makes this process a supervisor: it serves nothing itself, it forks N
workers, each an ordinary server process that loads the zip once and
answers on the same port.  Where the kernel has SO_REUSEPORT, each worker
binds its own socket and the kernel spreads new connections across them;
else the supervisor binds one socket before forking and every worker accepts
on it.

- Start: the first worker starts alone, so a zip or socket that cannot be
  served gives one error line, once; the others start once it is ready.
- A worker that dies while serving is replaced at once.  One that dies
  before it is ready (a broken zip, say) stops the server: a restart would
  fail the same way.
- SIGTERM and SIGINT are forwarded to every worker (they run in their own
  process group, so Ctrl-C reaches them only through here); each drains and
  stops as a single server does (server/draining.py).  A worker still
  running after the drain, the shutdown timeout and ``STOP_MARGIN`` is
  killed.  The exit status is 0 when every worker stopped cleanly.
- Each worker holds the read end of a "lifeline" pipe whose write end only
  the supervisor has: if the supervisor is killed, the workers see the pipe
  close and stop too, so no orphan keeps the port.

The loop waits on pipes only: a byte on a worker's "ready" pipe, and the
signal numbers Python's wakeup fd writes for SIGCHLD, SIGTERM and SIGINT.
"""

import os
import select
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import server
from server.accesslog import AccessLog, style_of
from server.draining import exit_cleanly
from server.settings import Settings

STOP_MARGIN = 2.0  # seconds past drain + shutdown_timeout before a worker still running is killed
BACKLOG = 2048  # uvicorn's default listen backlog, for the shared socket
FORWARDED = (signal.SIGTERM, signal.SIGINT)

# The server in one process: (settings, sockets to accept on, called once serving, lifeline fd) -> exit status
Serve = Callable[[Settings, list[socket.socket] | None, Callable[[], None] | None, int | None], int]


def bind(host: str, port: int, reuse_port: bool) -> socket.socket:
    """A TCP socket bound to host:port (not listening yet: the server's event loop does that)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def kernel_has_reuse_port() -> bool:
    if not hasattr(socket, "SO_REUSEPORT"):
        return False
    with socket.socket() as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        except OSError:
            return False
    return True


def describe(code: int) -> str:
    """An exit status as os.waitstatus_to_exitcode gives it, in words."""
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


@dataclass
class Worker:
    pid: int
    ready: int | None  # read end of its ready pipe, until the worker writes to it or dies
    serving: bool = False


class Supervisor:
    """Runs ``settings.workers`` copies of ``serve`` on one port (see the module docstring)."""

    def __init__(self, settings: Settings, serve: Serve):
        self.settings = settings
        self.serve = serve
        self.workers: dict[int, Worker] = {}
        self.shared: socket.socket | None = None  # the one socket, when workers don't bind their own
        self.reuse_port = False
        self.lifeline, self.lifeline_end = os.pipe()  # workers hold the read end, only we the write end
        self.wakeup, self.wakeup_end = os.pipe()
        self.to_start = settings.workers - 1  # started once the first worker serves
        self.stopping = False
        self.deadline: float | None = None
        self.status = 0
        self.log = AccessLog(style=style_of(settings.access_log))  # its messages go out as the workers' do

    def run(self) -> int:
        try:
            self.listen()
        except OSError as error:
            host, port = self.settings.host, self.settings.port
            print(f"eblog-server: error: {host}:{port}: {(error.strerror or str(error)).lower()}", file=sys.stderr)
            return 1
        how = "a socket each (SO_REUSEPORT)" if self.reuse_port else "one shared socket"
        self.log.message(f"eblog: {self.settings.workers} workers on {self.settings.host}:{self.settings.port}, {how}")
        os.set_blocking(self.wakeup_end, False)
        signal.set_wakeup_fd(self.wakeup_end, warn_on_full_buffer=False)
        for sig in (signal.SIGCHLD, *FORWARDED):
            signal.signal(sig, lambda signum, frame: None)  # the wakeup fd carries the signal number
        self.spawn()
        while self.workers:
            self.wait()
        return self.status

    def listen(self) -> None:
        """Check the port is free, then bind the shared socket unless every worker can bind its own."""
        self.reuse_port = self.settings.reuse_port and kernel_has_reuse_port()
        # Bound without SO_REUSEPORT, this fails if anything listens there, even another eblog
        # with SO_REUSEPORT: two servers must not share a port by accident.
        probe = bind(self.settings.host, self.settings.port, reuse_port=False)
        if self.reuse_port:
            probe.close()
        else:
            probe.listen(BACKLOG)
            self.shared = probe

    def wait(self) -> None:
        """One turn: wait for a signal or a ready worker (or the stop deadline), and act on it."""
        timeout = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        pipes = [worker.ready for worker in self.workers.values() if worker.ready is not None]
        readable, _, _ = select.select([self.wakeup, *pipes], [], [], timeout)
        # Ready pipes first: a worker that said "ready" and then died is reaped as one that served.
        for fd in readable:
            if fd != self.wakeup:
                self.on_ready(fd)
        if self.wakeup in readable:
            for signum in os.read(self.wakeup, 512):
                self.on_signal(signum)
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.kill_the_rest()

    def on_signal(self, signum: int) -> None:
        if signum == signal.SIGCHLD:
            self.reap()
        elif signum in FORWARDED:
            self.stop(signum)

    def on_ready(self, fd: int) -> None:
        worker = next(w for w in self.workers.values() if w.ready == fd)
        worker.serving = os.read(fd, 1) == b"r"  # b"" if it died first: SIGCHLD tells the rest
        os.close(fd)
        worker.ready = None
        while worker.serving and self.to_start and not self.stopping:
            self.to_start -= 1
            self.spawn()

    def reap(self) -> None:
        while self.workers:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            worker = self.workers.pop(pid, None)
            if worker is None:
                continue
            if worker.ready is not None:
                os.close(worker.ready)
            self.after_exit(worker, os.waitstatus_to_exitcode(wait_status))

    def after_exit(self, worker: Worker, code: int) -> None:
        if self.stopping:
            if code != 0:
                self.log.message(f"eblog: worker {worker.pid} {describe(code)} while stopping", "error")
                self.status = 1
        elif worker.serving:
            self.log.message(f"eblog: worker {worker.pid} {describe(code)}; starting another", "warning")
            self.spawn()
        else:
            # It printed why (a bad zip, the port taken since the check); starting it again would fail the same way.
            self.status = code if code > 0 else 1
            self.stop(signal.SIGTERM)

    def stop(self, signum: int) -> None:
        """Forward the signal to every worker; the first one sets the deadline for them all."""
        if not self.stopping:
            self.stopping = True
            drain = self.settings.drain if signum == signal.SIGTERM else 0.0
            self.deadline = time.monotonic() + drain + self.settings.shutdown_timeout + STOP_MARGIN
        for pid in self.workers:
            os.kill(pid, signum)

    def kill_the_rest(self) -> None:
        for pid in self.workers:
            self.log.message(f"eblog: worker {pid} still running after the stop deadline; killing it", "error")
            os.kill(pid, signal.SIGKILL)
        self.status = 1
        self.deadline = None  # SIGCHLD will bring the loop back to reap them

    def spawn(self) -> None:
        ready, ready_end = os.pipe()
        # Held back across the fork: the child starts with our do-nothing handlers, and a stop signal
        # delivered before it has its own would be lost; blocked, it waits for them.
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        pid = os.fork()
        if pid == 0:
            os.close(ready)
            self.become_worker(ready_end, mask)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(ready_end)
        self.workers[pid] = Worker(pid, ready)

    def become_worker(self, ready_end: int, mask: set[int | signal.Signals]) -> NoReturn:
        """In the child: leave the supervisor's signal handling and pipes behind, then serve."""
        code = 1
        try:
            server.BOOT_STARTED = time.perf_counter()  # its boot, not the supervisor's, in the start-up line
            os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for sig in FORWARDED:
                signal.signal(sig, exit_cleanly)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a signal held back since the fork stops it now
            for fd in (self.lifeline_end, self.wakeup, self.wakeup_end):
                os.close(fd)
            for worker in self.workers.values():
                if worker.ready is not None:
                    os.close(worker.ready)
            code = self.serve_here(ready_end)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def serve_here(self, ready_end: int) -> int:
        if self.shared is not None:
            sock = self.shared
        else:
            try:
                sock = bind(self.settings.host, self.settings.port, reuse_port=True)
            except OSError as error:
                message = (error.strerror or str(error)).lower()
                print(f"eblog-server: error: {self.settings.host}:{self.settings.port}: {message}", file=sys.stderr)
                return 1

        def started() -> None:
            os.write(ready_end, b"r")
            os.close(ready_end)

        return self.serve(self.settings, [sock], started, self.lifeline)
