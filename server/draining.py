"""How one server process stops: drain, then uvicorn's graceful shutdown.

A load balancer or Kubernetes learns that a server is going away some time
after the server does.  Closing the listening socket at once on SIGTERM
would refuse the requests that are already on their way, so on SIGTERM the
server first drains for ``drain`` seconds: it goes on serving every request,
but ``/healthz`` (readiness) answers 503 and each answer closes its
connection, so balancers that poll the probe take it out of rotation and
clients reconnect elsewhere.  Then uvicorn's own shutdown runs: stop
accepting, let the requests in flight finish (``shutdown_timeout``), exit.

SIGINT (Ctrl-C), a second SIGTERM, or a drain of 0 skip straight to the
shutdown.  A worker started by server/supervisor.py also stops, without a
drain, when the supervisor is gone (its end of the "lifeline" pipe closes).
"""

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from server.accesslog import LogHandler
from server.app import EblogApp


def exit_cleanly(signum: int, frame: FrameType | None) -> None:
    """The handler for SIGTERM and SIGINT outside uvicorn's own: a stop by signal is a normal exit.

    It exits here rather than raise SystemExit: a handler may run inside a weakref callback or a
    finalizer, where Python ignores the exception and the process would go on to serve. Outside
    uvicorn's handlers nothing is left to finish: before serving nothing has started, and after,
    uvicorn has shut down (the access log flushed) before it raises the signal again.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or gone: nothing more can be said on it
            stream.flush()
    os._exit(0)


class DrainingServer(uvicorn.Server):
    """uvicorn's server with a drain before its shutdown, and hooks for a supervisor."""

    def __init__(
        self,
        config: uvicorn.Config,
        app: EblogApp,
        drain: float,
        on_started: Callable[[], None] | None = None,
        lifeline: int | None = None,
    ) -> None:
        super().__init__(config)  # the config has set up uvicorn's logging by now: this replaces it
        LogHandler(app.log).take_over(logging.getLogger("uvicorn"))
        self.app = app
        self.drain = drain
        self.on_started = on_started
        self.lifeline = lifeline
        self.drain_ends: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if sig == signal.SIGTERM and self.drain > 0 and self.started and self.drain_ends is None:
            self.app.draining = True
            self.drain_ends = time.monotonic() + self.drain
            return
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if self.drain_ends is not None and time.monotonic() >= self.drain_ends:
            self.should_exit = True
        return await super().on_tick(counter)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.started:
            return
        if self.lifeline is not None:
            asyncio.get_running_loop().add_reader(self.lifeline, self.supervisor_gone)
        if self.on_started is not None:
            self.on_started()

    def supervisor_gone(self) -> None:
        """The supervisor's end of the lifeline closed: it died, and nobody else will stop this worker."""
        asyncio.get_running_loop().remove_reader(self.lifeline)  # type: ignore[arg-type]
        self.should_exit = True
