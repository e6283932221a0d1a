"""A stop signal that reaches a worker between its fork and its own handlers is not lost.

The supervisor's handlers do nothing but wake its loop; a worker inherits them at fork and
replaces them a moment later. A SIGINT or SIGTERM landing in that moment used to be swallowed:
the worker went on to serve, and the supervisor killed it at the stop deadline and exited 1.
"""

import os
import signal
import socket
import time
from collections.abc import Callable, Iterator

import pytest

from server.settings import Settings
from server.supervisor import Supervisor

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
