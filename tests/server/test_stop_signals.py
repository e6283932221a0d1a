"""A stop signal is never lost on its way to a server process that is not serving yet.

- The supervisor's handlers do nothing but wake its loop; a worker inherits them at fork and
  replaces them a moment later. A SIGINT or SIGTERM landing in that moment used to be swallowed:
  the worker went on to serve, and the supervisor killed it at the stop deadline and exited 1.
- The handler outside uvicorn's (server/draining.py's exit_cleanly) raised SystemExit; run inside
  a weakref callback, as the minimal image's build once saw, the exception was ignored and the
  process went on to serve.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import pytest

from server.settings import Settings
from server.supervisor import Supervisor
from testing.server_process import ROOT

pytestmark = pytest.mark.slow  # forks processes

TRIES = 20
SERVED_ON = 3  # the fake server's exit status, when it served to the end instead of stopping


def serve_a_while(
    settings: Settings, sockets: list[socket.socket] | None, started: Callable[[], None] | None, lifeline: int | None
) -> int:
    time.sleep(5)
    return SERVED_ON


@pytest.fixture
def supervisor_handlers() -> Iterator[None]:
    """The handlers the supervisor's run() installs (a no-op: its wakeup fd carries the signal)."""
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in before:
        signal.signal(sig, lambda signum, frame: None)
    yield
    for sig, handler in before.items():
        signal.signal(sig, handler)


@pytest.mark.usefixtures("supervisor_handlers")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_sent_right_after_the_fork_stops_the_worker(sig: signal.Signals) -> None:
    statuses = []
    with socket.socket() as shared:
        shared.bind(("127.0.0.1", 0))
        for _ in range(TRIES):
            supervisor = Supervisor(Settings(workers=2), serve_a_while)
            supervisor.shared = shared  # the workers accept on it: none binds a port of its own
            supervisor.spawn()
            (pid,) = supervisor.workers
            os.kill(pid, sig)  # at once: the child is most likely still between fork and its handlers
            _, wait_status = os.waitpid(pid, 0)
            statuses.append(os.waitstatus_to_exitcode(wait_status))
            for fd in (supervisor.lifeline, supervisor.lifeline_end, supervisor.wakeup, supervisor.wakeup_end):
                os.close(fd)
    assert statuses == [0] * TRIES, f"exit statuses (0: stopped by the signal; {SERVED_ON}: it was lost)"


# A SIGINT whose handler runs inside a weakref callback, where Python ignores any exception raised.
SIGNAL_IN_A_CALLBACK = """
import os, signal, sys, weakref
from server.draining import exit_cleanly

signal.signal(signal.SIGINT, exit_cleanly)


class Thing:
    pass


def on_collected(ref):
    os.kill(os.getpid(), signal.SIGINT)
    total = 0
    for n in range(100_000):  # the handler runs here, between two bytecodes of the callback
        total += n


thing = Thing()
watch = weakref.ref(thing, on_collected)
del thing
print("went on after the signal", flush=True)
sys.exit(3)
"""


def test_a_stop_signal_handled_inside_a_callback_still_stops_the_process() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SIGNAL_IN_A_CALLBACK], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert (result.returncode, result.stdout) == (0, ""), result.stderr
