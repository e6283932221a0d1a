"""server/supervisor.py in the test's own process: the sockets, each turn of the loop, a worker's start.

tests/server/test_server_workers.py and test_stop_signals.py run a real supervisor with real
workers; these call its functions and Supervisor's methods directly, so that a changed line is
seen by the tests that reach it (bench/mutation.py).  Nothing is forked: ``Children`` stands in
for os.fork, os.kill and os.waitpid, and its workers are records; the pipes (ready, wakeup,
lifeline) and the sockets are real.  The signal mask, the handlers and the clock are replaced,
so the test process keeps its own.
"""

import errno
import io
import os
import select
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest

import server
from server import supervisor
from server.accesslog import AccessLog
from server.draining import exit_cleanly
from server.settings import Settings
from server.supervisor import Supervisor, Worker, bind, describe, kernel_has_reuse_port
from testing.in_process import Exited, Stream, exit_raising

CLOCK = 100.0  # what the replaced time.monotonic reads, unless a test moves it
BOOT = 42.5  # what the replaced time.perf_counter reads
FIRST_PID = 1001
TURNS = 20  # more turns of the loop or waitpid calls than any test needs: the code under test is looping
LONGEST_WAIT = 0.1  # seconds a turn really waits: every test has its pipe written before the turn
REAL_PIPE = os.pipe


class Messages(AccessLog):
    """The supervisor's own messages, (level, text), in a list."""

    def __init__(self) -> None:
        super().__init__(stream=io.StringIO(), errors=io.StringIO())
        self.said: list[tuple[str, str]] = []

    def message(self, text: str, level: str = "info") -> None:
        self.said.append((level, text))


class RecordingSocket(socket.socket):
    """A socket that keeps the options set on it and its listen backlog; ``refuse`` fails setsockopt."""

    made: ClassVar[list["RecordingSocket"]] = []
    refuse: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options: list[tuple[int, int, int]] = []
        self.backlog: int | None = None
        RecordingSocket.made.append(self)

    def setsockopt(self, level: int, option: int, value: Any, *rest: Any) -> None:
        self.options.append((level, option, value))
        if RecordingSocket.refuse:
            raise OSError(errno.ENOPROTOOPT, "Protocol not available")
        super().setsockopt(level, option, value, *rest)

    def listen(self, backlog: int = 0) -> None:
        self.backlog = backlog
        super().listen(backlog)


@pytest.fixture
def recording_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[RecordingSocket]]:
    made: list[RecordingSocket] = []
    monkeypatch.setattr(RecordingSocket, "made", made)
    monkeypatch.setattr(RecordingSocket, "refuse", False)
    monkeypatch.setattr(socket, "socket", RecordingSocket)
    yield made
    for sock in made:
        sock.close()


REUSEADDR = (socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
REUSEPORT = (socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def listening(sock: socket.socket) -> bool:
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1


def closed(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError as error:
        return error.errno == errno.EBADF
    return False


# bind and kernel_has_reuse_port


@pytest.mark.parametrize(("reuse_port", "options"), [(False, [REUSEADDR]), (True, [REUSEADDR, REUSEPORT])])
def test_bind_gives_a_tcp_socket_bound_not_listening_with_reuseport_only_when_asked(
    recording_sockets: list[RecordingSocket], reuse_port: bool, options: list[tuple[int, int, int]]
) -> None:
    sock = bind("127.0.0.1", 0, reuse_port=reuse_port)
    assert recording_sockets == [sock] and isinstance(sock, RecordingSocket)
    assert (sock.family, sock.type, sock.getsockname()[0]) == (socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1")
    assert sock.options == options
    assert not listening(sock)


def test_bind_takes_ipv6_for_a_host_with_a_colon(recording_sockets: list[RecordingSocket]) -> None:
    sock = bind("::1", 0, reuse_port=False)
    assert (sock.family, sock.type, sock.getsockname()[0]) == (socket.AF_INET6, socket.SOCK_STREAM, "::1")


@pytest.mark.parametrize("reuse_port", [False, True])
def test_bind_to_a_port_in_use_closes_its_socket_and_raises(
    recording_sockets: list[RecordingSocket], taken_port: int, reuse_port: bool
) -> None:
    with pytest.raises(OSError, match="in use") as raised:
        bind("127.0.0.1", taken_port, reuse_port=reuse_port)
    assert raised.value.errno == errno.EADDRINUSE
    (sock,) = recording_sockets[1:]  # the first is the other server's
    assert sock.fileno() == -1


def test_the_kernel_has_reuse_port_here_and_the_probe_is_closed(recording_sockets: list[RecordingSocket]) -> None:
    assert kernel_has_reuse_port() is True
    (probe,) = recording_sockets
    assert (probe.options, probe.fileno()) == ([REUSEPORT], -1)


def test_no_reuse_port_when_the_kernel_refuses_it(recording_sockets: list[RecordingSocket]) -> None:
    RecordingSocket.refuse = True
    assert kernel_has_reuse_port() is False
    (probe,) = recording_sockets
    assert (probe.options, probe.fileno()) == ([REUSEPORT], -1)


def test_no_reuse_port_where_python_has_no_such_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(socket, "SO_REUSEPORT")
    assert kernel_has_reuse_port() is False


@pytest.mark.parametrize(
    ("code", "words"),
    [
        (0, "exited with status 0"),
        (3, "exited with status 3"),
        (-9, "was killed by SIGKILL"),
        (-15, "was killed by SIGTERM"),
    ],
)
def test_describe_an_exit_status(code: int, words: str) -> None:
    assert describe(code) == words


# The supervisor, with workers that are records


class Mask:
    """pthread_sigmask over a set: the test process keeps its own mask."""

    def __init__(self, blocked: set[int]):
        self.blocked = set(blocked)

    def pthread_sigmask(self, how: int, signals: Any) -> set[int]:
        before = set(self.blocked)
        if how == signal.SIG_BLOCK:
            self.blocked |= set(signals)
        elif how == signal.SIG_UNBLOCK:
            self.blocked -= set(signals)
        else:
            assert how == signal.SIG_SETMASK
            self.blocked = set(signals)
        return before


class Children:
    """os.fork, os.kill and os.waitpid for workers that are records, not processes.

    A fork keeps its own copy of the ready pipe's write end, as a real child holds it; ``obedient``
    children exit with status 0 when sent SIGTERM or SIGINT, and the supervisor gets its SIGCHLD.
    """

    def __init__(self, mask: Mask):
        self.mask = mask
        self.next_pid = FIRST_PID
        self.fds: list[int] = []  # every fd made here, closed at the end if it is still ours
        self.inodes: dict[int, int] = {}
        self.write_end = -1
        self.wakeup_end = -1
        self.ready_ends: dict[int, int] = {}
        self.masks_at_fork: list[set[int]] = []
        self.signals: list[tuple[int, int]] = []
        self.exits: list[tuple[int, int]] = []  # what waitpid answers next
        self.waits = 0
        self.fork_answer: int | None = None  # 0: be the child
        self.auto_ready = False
        self.obedient = False
        self.on_fork: Callable[[int], None] = lambda pid: None

    def keep(self, *fds: int) -> None:
        for fd in fds:
            self.fds.append(fd)
            self.inodes[fd] = os.fstat(fd).st_ino

    def pipe(self) -> tuple[int, int]:
        read_end, write_end = REAL_PIPE()
        self.keep(read_end, write_end)
        self.write_end = write_end
        return read_end, write_end

    def fork(self) -> int:
        self.masks_at_fork.append(set(self.mask.blocked))
        if self.fork_answer is not None:
            return self.fork_answer
        pid = self.next_pid
        self.next_pid += 1
        self.ready_ends[pid] = os.dup(self.write_end)
        self.keep(self.ready_ends[pid])
        if self.auto_ready:
            self.ready(pid)
        self.on_fork(pid)
        return pid

    def kill(self, pid: int, signum: int) -> None:
        self.signals.append((pid, signum))
        if self.obedient and signum in (signal.SIGTERM, signal.SIGINT):
            self.exit(pid, 0)

    def waitpid(self, pid: int, options: int) -> tuple[int, int]:
        assert (pid, options) == (-1, os.WNOHANG)
        self.waits += 1
        assert self.waits <= TURNS, f"waitpid called more than {TURNS} times"
        return self.exits.pop(0) if self.exits else (0, 0)

    def ready(self, pid: int) -> None:
        os.write(self.ready_ends[pid], b"r")

    def die_before_ready(self, pid: int) -> None:
        os.close(self.ready_ends[pid])

    def exit(self, pid: int, wait_status: int) -> None:
        """The worker ends (``wait_status`` as waitpid gives it) and the kernel sends SIGCHLD."""
        self.exits.append((pid, wait_status))
        deliver(self.wakeup_end, signal.SIGCHLD)

    def close_all(self) -> None:
        """Close what the test left open; a number the code closed and the kernel gave out again is left."""
        for fd in self.fds:
            try:
                if os.fstat(fd).st_ino == self.inodes[fd]:
                    os.close(fd)
            except OSError:
                pass


def deliver(wakeup_end: int, *signums: int) -> None:
    """What Python's wakeup fd writes when these signals arrive."""
    os.write(wakeup_end, bytes(signums))


def exit_status(code: int) -> int:
    return code << 8


KILLED = signal.SIGKILL  # the wait status of a process killed by SIGKILL


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    fake = SimpleNamespace(now=CLOCK)
    monkeypatch.setattr(supervisor, "time", SimpleNamespace(monotonic=lambda: fake.now, perf_counter=lambda: BOOT))
    return fake


@pytest.fixture
def mask(monkeypatch: pytest.MonkeyPatch) -> Mask:
    fake = Mask({signal.SIGUSR1})
    monkeypatch.setattr(signal, "pthread_sigmask", fake.pthread_sigmask)
    return fake


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch, mask: Mask) -> Iterator[Children]:
    fake = Children(mask)
    monkeypatch.setattr(os, "pipe", fake.pipe)
    monkeypatch.setattr(os, "fork", fake.fork)
    monkeypatch.setattr(os, "kill", fake.kill)
    monkeypatch.setattr(os, "waitpid", fake.waitpid)
    monkeypatch.setattr(os, "_exit", exit_raising)  # code that would end the test process raises instead
    yield fake
    fake.close_all()


class Served:
    """The server in one process, as the supervisor calls it: each call kept, its status chosen."""

    def __init__(self) -> None:
        self.calls: list[tuple[Settings, list[socket.socket] | None, Callable[[], None] | None, int | None]] = []
        self.status = 0
        self.error: BaseException | None = None
        self.serving = False  # call on_started, as a server does once it serves

    def __call__(
        self,
        settings: Settings,
        sockets: list[socket.socket] | None,
        on_started: Callable[[], None] | None,
        lifeline: int | None,
    ) -> int:
        self.calls.append((settings, sockets, on_started, lifeline))
        if self.error is not None:
            raise self.error
        if self.serving and on_started is not None:
            on_started()
        return self.status


def settings_for(workers: int = 3, **values: Any) -> Settings:
    values = {"host": "127.0.0.1", "port": 0, "drain": 5.0, "shutdown_timeout": 3.0, **values}
    return Settings(workers=workers, **values)


class Select:
    """select.select, each call's arguments kept; a loop that turns without end fails within seconds."""

    def __init__(self, real: Callable[..., Any]):
        self.real = real
        self.calls: list[tuple[list[int], float | None]] = []

    def select(self, readable: list[int], writable: list[int], errors: list[int], timeout: float | None) -> Any:
        self.calls.append((list(readable), timeout))
        assert len(self.calls) <= TURNS, f"more than {TURNS} turns of the loop"
        return self.real(readable, writable, errors, LONGEST_WAIT if timeout is None else min(timeout, LONGEST_WAIT))


@pytest.fixture
def selects(monkeypatch: pytest.MonkeyPatch) -> Select:
    fake = Select(select.select)
    monkeypatch.setattr(supervisor, "select", SimpleNamespace(select=fake.select))
    return fake


@pytest.fixture
def make(children: Children, clock: SimpleNamespace, selects: Select) -> Iterator[Callable[..., Supervisor]]:
    """A supervisor (its messages recorded, its workers Children's), and its sockets closed after."""
    made: list[Supervisor] = []

    def make(workers: int = 3, **values: Any) -> Supervisor:
        sup = Supervisor(settings_for(workers, **values), Served())
        sup.log = Messages()
        children.wakeup_end = sup.wakeup_end
        os.set_blocking(sup.wakeup, False)  # read with nothing there (the code is broken): an error, not a hang
        made.append(sup)
        return sup

    yield make
    for sup in made:
        if sup.shared is not None:
            sup.shared.close()


def said(sup: Supervisor) -> list[tuple[str, str]]:
    assert isinstance(sup.log, Messages)
    return sup.log.said


def test_a_new_supervisor_has_no_worker_two_to_start_and_two_pipes(children: Children) -> None:
    sup = Supervisor(settings_for(workers=3, access_log="json"), Served())
    assert (sup.workers, sup.shared, sup.reuse_port, sup.to_start) == ({}, None, False, 2)
    assert (sup.stopping, sup.deadline, sup.status) == (False, None, 0)
    assert sup.stopping is False and sup.reuse_port is False
    assert isinstance(sup.log, AccessLog) and sup.log.style == "json"
    for read_end, write_end in ((sup.lifeline, sup.lifeline_end), (sup.wakeup, sup.wakeup_end)):
        os.write(write_end, b"x")
        assert os.read(read_end, 2) == b"x"
    assert len({sup.lifeline, sup.lifeline_end, sup.wakeup, sup.wakeup_end}) == 4


@pytest.mark.parametrize(("access_log", "style"), [("off", "combined"), ("combined", "combined")])
def test_the_supervisor_s_messages_take_the_workers_style(children: Children, access_log: str, style: str) -> None:
    assert Supervisor(settings_for(access_log=access_log), Served()).log.style == style


class Handlers:
    """signal.signal and signal.set_wakeup_fd, recorded: the test process keeps its own."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def signal(self, signum: int, handler: Any) -> None:
        self.calls.append(("signal", signum, handler))

    def set_wakeup_fd(self, fd: int, **options: Any) -> int:
        self.calls.append(("set_wakeup_fd", fd, options))
        return -1


@pytest.fixture
def handlers(monkeypatch: pytest.MonkeyPatch) -> Handlers:
    fake = Handlers()
    monkeypatch.setattr(signal, "signal", fake.signal)
    monkeypatch.setattr(signal, "set_wakeup_fd", fake.set_wakeup_fd)
    return fake


@pytest.mark.parametrize(("reuse_port", "how"), [(True, "a socket each (SO_REUSEPORT)"), (False, "one shared socket")])
def test_run_starts_the_workers_one_then_the_rest_and_stops_them_on_sigterm(
    make: Callable[..., Supervisor], children: Children, handlers: Handlers, reuse_port: bool, how: str
) -> None:
    sup = make(workers=2, reuse_port=reuse_port)
    children.auto_ready = children.obedient = True
    children.on_fork = lambda pid: deliver(sup.wakeup_end, signal.SIGTERM) if pid == FIRST_PID + 1 else None
    assert sup.run() == 0
    assert said(sup) == [("info", f"eblog: 2 workers on 127.0.0.1:0, {how}")]
    assert children.signals == [(FIRST_PID, signal.SIGTERM), (FIRST_PID + 1, signal.SIGTERM)]
    assert (sup.workers, sup.stopping, os.get_blocking(sup.wakeup_end)) == ({}, True, False)
    assert (sup.shared is None) is reuse_port
    wakeup, *installed = handlers.calls
    assert wakeup == ("set_wakeup_fd", sup.wakeup_end, {"warn_on_full_buffer": False})
    assert [(name, signum) for name, signum, _ in installed] == [
        ("signal", signal.SIGCHLD),
        ("signal", signal.SIGTERM),
        ("signal", signal.SIGINT),
    ]
    assert [handler(signal.SIGCHLD, None) for _, _, handler in installed] == [None, None, None]


def test_run_on_a_port_in_use_is_one_line_and_status_1(
    make: Callable[..., Supervisor], children: Children, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = make(port=taken_port)
    assert sup.run() == 1
    assert capsys.readouterr() == ("", f"eblog-server: error: 127.0.0.1:{taken_port}: address already in use\n")
    assert (children.masks_at_fork, said(sup)) == ([], [])


def test_an_error_without_strerror_is_given_by_its_text_in_lower_case(
    make: Callable[..., Supervisor], children: Children, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = make(port=8080)

    def fail() -> None:
        raise OSError("Cannot Listen Here")

    sup.listen = fail  # type: ignore[method-assign]
    assert sup.run() == 1
    assert capsys.readouterr().err == "eblog-server: error: 127.0.0.1:8080: cannot listen here\n"


def test_listen_with_reuse_port_checks_the_port_and_keeps_no_socket(
    make: Callable[..., Supervisor], recording_sockets: list[RecordingSocket]
) -> None:
    sup = make(reuse_port=True)
    sup.listen()
    _, port_probe = recording_sockets  # the first asked the kernel about SO_REUSEPORT
    assert (sup.reuse_port, sup.shared) == (True, None)
    assert (port_probe.options, port_probe.fileno(), port_probe.backlog) == ([REUSEADDR], -1, None)


@pytest.mark.parametrize("kernel_has_it", [True, False])
def test_listen_without_reuse_port_keeps_one_listening_socket(
    make: Callable[..., Supervisor],
    recording_sockets: list[RecordingSocket],
    monkeypatch: pytest.MonkeyPatch,
    kernel_has_it: bool,
) -> None:
    monkeypatch.setattr(supervisor, "kernel_has_reuse_port", lambda: kernel_has_it)
    sup = make(reuse_port=not kernel_has_it)  # off in the settings, or not in the kernel
    sup.listen()
    (shared,) = recording_sockets
    assert (sup.reuse_port, sup.shared) == (False, shared)
    assert (shared.options, shared.backlog, shared.getsockname()[0]) == ([REUSEADDR], 2048, "127.0.0.1")
    assert listening(shared)


def test_listen_refuses_a_port_another_server_shares_with_reuse_port(make: Callable[..., Supervisor]) -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        sup = make(port=other.getsockname()[1], reuse_port=True)
        with pytest.raises(OSError, match="in use") as raised:
            sup.listen()
    assert raised.value.errno == errno.EADDRINUSE


def test_spawn_forks_with_the_stop_signals_blocked_and_keeps_the_ready_pipe_s_read_end(
    make: Callable[..., Supervisor], children: Children, mask: Mask
) -> None:
    sup = make()
    sup.spawn()
    assert children.masks_at_fork == [{signal.SIGUSR1, signal.SIGTERM, signal.SIGINT}]
    assert mask.blocked == {signal.SIGUSR1}
    (worker,) = sup.workers.values()
    assert worker == Worker(FIRST_PID, worker.ready, serving=False)
    read_end, write_end = children.fds[-3:-1]  # the ready pipe; the last is the child's copy
    assert (worker.ready, closed(write_end)) == (read_end, True)
    children.ready(FIRST_PID)
    assert os.read(read_end, 1) == b"r"


def test_spawn_in_the_child_closes_the_read_end_and_becomes_a_worker(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make()
    became: list[tuple[int, set[int]]] = []

    def become_worker(ready_end: int, old_mask: set[int]) -> None:
        became.append((ready_end, set(old_mask)))
        raise Exited(0)

    sup.become_worker = become_worker  # type: ignore[method-assign,assignment]
    children.fork_answer = 0
    with pytest.raises(Exited):
        sup.spawn()
    read_end, write_end = children.fds[-2:]
    assert became == [(write_end, {signal.SIGUSR1})]
    assert (closed(read_end), closed(write_end), sup.workers) == (True, False, {})


def turn(sup: Supervisor, *signums: int) -> None:
    """One turn of the loop, with these signals arrived."""
    if signums:
        deliver(sup.wakeup_end, *signums)
    sup.wait()


def test_the_first_ready_worker_starts_the_others(make: Callable[..., Supervisor], children: Children) -> None:
    sup = make(workers=4)
    sup.spawn()
    children.ready(FIRST_PID)
    turn(sup)
    assert list(sup.workers) == [FIRST_PID, FIRST_PID + 1, FIRST_PID + 2, FIRST_PID + 3]
    first = sup.workers[FIRST_PID]
    assert (first.serving, first.ready, sup.to_start) == (True, None, 0)
    children.ready(FIRST_PID + 1)
    turn(sup)
    assert len(sup.workers) == 4 and sup.workers[FIRST_PID + 1].serving is True


def test_a_worker_that_dies_before_ready_starts_no_other(make: Callable[..., Supervisor], children: Children) -> None:
    sup = make(workers=3)
    sup.spawn()
    ready = sup.workers[FIRST_PID].ready
    assert ready is not None
    children.die_before_ready(FIRST_PID)
    turn(sup)
    assert (list(sup.workers), sup.workers[FIRST_PID].serving, sup.to_start, closed(ready)) == (
        [FIRST_PID],
        False,
        2,
        True,
    )


def test_a_worker_ready_while_stopping_starts_no_other_and_its_pipe_is_closed(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make(workers=3)
    sup.spawn()
    ready = sup.workers[FIRST_PID].ready
    sup.stopping = True
    children.ready(FIRST_PID)
    turn(sup)
    assert (list(sup.workers), sup.workers[FIRST_PID].serving, closed(ready or -1)) == ([FIRST_PID], True, True)


def test_ready_then_dead_in_one_turn_is_replaced_as_one_that_served(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make(workers=1)
    sup.spawn()
    children.ready(FIRST_PID)
    children.exit(FIRST_PID, KILLED)
    turn(sup)
    assert said(sup) == [("warning", "eblog: worker 1001 was killed by SIGKILL; starting another")]
    assert (list(sup.workers), sup.stopping, sup.status) == ([FIRST_PID + 1], False, 0)


@pytest.mark.parametrize(("signum", "deadline"), [(signal.SIGTERM, CLOCK + 5 + 3 + 2), (signal.SIGINT, CLOCK + 3 + 2)])
def test_a_stop_signal_is_forwarded_and_sets_the_deadline(
    make: Callable[..., Supervisor], children: Children, clock: SimpleNamespace, signum: int, deadline: float
) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.spawn()
    turn(sup, signum)
    assert children.signals == [(FIRST_PID, signum), (FIRST_PID + 1, signum)]
    assert (sup.stopping, sup.deadline) == (True, deadline)
    clock.now += 1
    turn(sup, signal.SIGINT)
    assert children.signals[2:] == [(FIRST_PID, signal.SIGINT), (FIRST_PID + 1, signal.SIGINT)]
    assert sup.deadline == deadline  # the first signal set it for good


def test_other_signals_on_the_wakeup_fd_do_nothing(make: Callable[..., Supervisor], children: Children) -> None:
    sup = make(workers=2)
    sup.spawn()
    children.exits.append((FIRST_PID, exit_status(0)))  # ended, but no SIGCHLD: only reaped if asked
    turn(sup, signal.SIGUSR1, signal.SIGHUP)
    assert (children.signals, sup.stopping, list(sup.workers)) == ([], False, [FIRST_PID])


def test_the_loop_waits_on_the_wakeup_fd_and_each_ready_pipe_with_no_timeout_until_stopping(
    make: Callable[..., Supervisor], children: Children, selects: Select
) -> None:
    sup = make(workers=3)
    sup.spawn()
    sup.spawn()
    pipes = [worker.ready for worker in sup.workers.values()]
    children.ready(FIRST_PID)
    turn(sup)
    assert selects.calls == [([sup.wakeup, *pipes], None)]


def test_the_loop_waits_until_the_deadline_then_kills_who_is_left(
    make: Callable[..., Supervisor], children: Children, clock: SimpleNamespace, selects: Select
) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.spawn()
    turn(sup, signal.SIGTERM)  # deadline: CLOCK + 10
    clock.now = CLOCK + 9.75
    turn(sup, signal.SIGCHLD)  # nobody has exited
    assert [timeout for _, timeout in selects.calls] == [None, 0.25]
    assert (said(sup), sup.status, children.signals[2:]) == ([], 0, [])
    clock.now = CLOCK + 10
    turn(sup, signal.SIGCHLD)
    assert [timeout for _, timeout in selects.calls] == [None, 0.25, 0.0]
    assert said(sup) == [
        ("error", "eblog: worker 1001 still running after the stop deadline; killing it"),
        ("error", "eblog: worker 1002 still running after the stop deadline; killing it"),
    ]
    assert children.signals[2:] == [(FIRST_PID, signal.SIGKILL), (FIRST_PID + 1, signal.SIGKILL)]
    assert (sup.status, sup.deadline) == (1, None)
    clock.now = CLOCK + 11
    children.exit(FIRST_PID, KILLED)
    children.exit(FIRST_PID + 1, KILLED)
    turn(sup)
    assert [timeout for _, timeout in selects.calls][3:] == [None]  # no deadline now: SIGCHLD brings the loop back
    assert (sup.workers, sup.status) == ({}, 1)
    assert said(sup)[2:] == [
        ("error", "eblog: worker 1001 was killed by SIGKILL while stopping"),
        ("error", "eblog: worker 1002 was killed by SIGKILL while stopping"),
    ]


def test_a_deadline_already_past_waits_for_nothing(
    make: Callable[..., Supervisor], children: Children, clock: SimpleNamespace, selects: Select
) -> None:
    sup = make(workers=1)
    sup.spawn()
    sup.stop(signal.SIGINT)
    clock.now = CLOCK + 30
    turn(sup, signal.SIGCHLD)
    assert selects.calls[-1][1] == 0.0
    assert children.signals[-1] == (FIRST_PID, signal.SIGKILL)


@pytest.mark.parametrize(
    ("wait_status", "status", "message"),
    [
        (exit_status(0), 0, []),
        (exit_status(1), 1, [("error", "eblog: worker 1001 exited with status 1 while stopping")]),
        (signal.SIGTERM, 1, [("error", "eblog: worker 1001 was killed by SIGTERM while stopping")]),
    ],
)
def test_a_worker_that_ends_while_stopping_is_not_replaced(
    make: Callable[..., Supervisor],
    children: Children,
    wait_status: int,
    status: int,
    message: list[tuple[str, str]],
) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.spawn()
    turn(sup, signal.SIGTERM)
    children.exit(FIRST_PID, wait_status)
    turn(sup)
    assert (list(sup.workers), sup.status, said(sup)) == ([FIRST_PID + 1], status, message)
    assert children.next_pid == FIRST_PID + 2


@pytest.mark.parametrize(
    ("wait_status", "message"),
    [
        (exit_status(0), "eblog: worker 1001 exited with status 0; starting another"),
        (exit_status(3), "eblog: worker 1001 exited with status 3; starting another"),
        (KILLED, "eblog: worker 1001 was killed by SIGKILL; starting another"),
    ],
)
def test_a_worker_that_dies_while_serving_is_replaced(
    make: Callable[..., Supervisor], children: Children, wait_status: int, message: str
) -> None:
    sup = make(workers=1)
    sup.spawn()
    children.ready(FIRST_PID)
    turn(sup)
    children.exit(FIRST_PID, wait_status)
    turn(sup)
    assert (list(sup.workers), sup.status, sup.stopping, said(sup)) == (
        [FIRST_PID + 1],
        0,
        False,
        [("warning", message)],
    )


@pytest.mark.parametrize(("wait_status", "status"), [(exit_status(3), 3), (exit_status(0), 1), (KILLED, 1)])
def test_a_worker_that_dies_before_serving_stops_the_server_with_its_status(
    make: Callable[..., Supervisor], children: Children, clock: SimpleNamespace, wait_status: int, status: int
) -> None:
    sup = make(workers=3)
    sup.spawn()
    sup.spawn()  # as if the first had served: a second one starting
    second = sup.workers[FIRST_PID + 1].ready
    assert second is not None
    children.die_before_ready(FIRST_PID + 1)
    children.exit(FIRST_PID + 1, wait_status)
    turn(sup)
    assert (list(sup.workers), sup.status, said(sup)) == ([FIRST_PID], status, [])
    assert (sup.stopping, sup.deadline, children.signals) == (True, CLOCK + 10, [(FIRST_PID, signal.SIGTERM)])
    assert closed(second)


def test_reap_closes_the_ready_pipe_of_a_worker_that_never_wrote(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.stopping = True
    ready = sup.workers[FIRST_PID].ready
    assert ready is not None
    children.exit(FIRST_PID, exit_status(0))
    sup.reap()
    assert (sup.workers, closed(ready)) == ({}, True)


def test_reap_passes_over_a_child_that_is_not_a_worker_and_reaps_the_next(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.spawn()
    sup.stopping = True
    children.exits = [(4242, exit_status(1)), (FIRST_PID + 1, exit_status(2)), (FIRST_PID, exit_status(0))]
    sup.reap()
    assert (sup.workers, sup.status) == ({}, 1)
    assert said(sup) == [("error", "eblog: worker 1002 exited with status 2 while stopping")]


def test_reap_stops_when_no_child_has_exited(make: Callable[..., Supervisor], children: Children) -> None:
    sup = make(workers=2)
    sup.spawn()
    sup.stopping = True
    children.exits = [(0, 0), (FIRST_PID, exit_status(0))]
    sup.reap()
    assert list(sup.workers) == [FIRST_PID]


def test_reap_with_no_worker_left_asks_nothing(make: Callable[..., Supervisor], children: Children) -> None:
    sup = make(workers=1)
    children.exits = [(FIRST_PID, exit_status(0))]
    sup.reap()
    assert children.exits == [(FIRST_PID, exit_status(0))]


# In the child: become_worker and serve_here


class Calls:
    """setpgid, the signal calls and the mask in the order the child makes them."""

    def __init__(self, mask: Mask) -> None:
        self.mask = mask
        self.made: list[tuple[Any, ...]] = []

    def setpgid(self, pid: int, group: int) -> None:
        self.made.append(("setpgid", pid, group))

    def set_wakeup_fd(self, fd: int, **options: Any) -> int:
        self.made.append(("set_wakeup_fd", fd))
        return -1

    def signal(self, signum: int, handler: Any) -> None:
        self.made.append(("signal", signum, handler))

    def pthread_sigmask(self, how: int, signals: Any) -> set[int]:
        self.made.append(("pthread_sigmask", how, set(signals)))
        return self.mask.pthread_sigmask(how, signals)


class Child:
    """A worker's start in the test process: its calls recorded, os._exit raising Exited."""

    def __init__(self, calls: Calls, children: Children, monkeypatch: pytest.MonkeyPatch):
        self.calls = calls
        self.children = children
        self.monkeypatch = monkeypatch
        self.out, self.err = Stream(), Stream()
        self.ready = -1  # the read end of the ready pipe the worker is given

    def status(self, sup: Supervisor) -> int:
        """become_worker for a worker forked after two others (one still starting): its exit status.

        The standard streams are replaced here, in the test's call: pytest puts its own back after the fixtures.
        """
        sup.spawn()
        sup.spawn()
        sup.workers[FIRST_PID].ready = None  # the first has served
        self.ready, ready_end = self.children.pipe()
        os.set_blocking(self.ready, False)  # nothing written: an error, not a hang
        self.calls.made.clear()
        self.monkeypatch.setattr(sys, "stdout", self.out)
        self.monkeypatch.setattr(sys, "stderr", self.err)
        with pytest.raises(Exited) as exited:
            sup.become_worker(ready_end, {signal.SIGUSR1})
        return exited.value.status


@pytest.fixture
def child(monkeypatch: pytest.MonkeyPatch, mask: Mask, children: Children) -> Child:
    calls = Calls(mask)
    monkeypatch.setattr(os, "setpgid", calls.setpgid)
    monkeypatch.setattr(signal, "set_wakeup_fd", calls.set_wakeup_fd)
    monkeypatch.setattr(signal, "signal", calls.signal)
    monkeypatch.setattr(signal, "pthread_sigmask", calls.pthread_sigmask)
    monkeypatch.setattr(server, "BOOT_STARTED", server.BOOT_STARTED)

    return Child(calls, children, monkeypatch)


def served_by(sup: Supervisor) -> Served:
    assert isinstance(sup.serve, Served)
    return sup.serve


def test_the_child_leaves_the_supervisor_s_signals_and_pipes_behind_then_serves(
    make: Callable[..., Supervisor], child: Child
) -> None:
    sup = make(workers=3, reuse_port=False)
    sup.shared = socket.socket()
    served_by(sup).serving = True
    assert child.status(sup) == 0
    assert os.read(child.ready, 2) == b"r"  # the supervisor hears it serves
    starting_ready = sup.workers[FIRST_PID + 1].ready
    assert child.calls.made == [
        ("setpgid", 0, 0),
        ("set_wakeup_fd", -1),
        ("signal", signal.SIGCHLD, signal.SIG_DFL),
        ("signal", signal.SIGTERM, exit_cleanly),
        ("signal", signal.SIGINT, exit_cleanly),
        ("pthread_sigmask", signal.SIG_SETMASK, {signal.SIGUSR1}),
    ]
    assert [closed(fd) for fd in (sup.lifeline_end, sup.wakeup, sup.wakeup_end, starting_ready or -1)] == [True] * 4
    assert closed(sup.lifeline) is False  # the worker keeps the read end: it sees the supervisor die
    assert server.BOOT_STARTED == BOOT
    assert (child.out.flushes, child.err.flushes) == (1, 1)
    ((settings, sockets, _, lifeline),) = served_by(sup).calls
    assert (settings, sockets, lifeline) == (sup.settings, [sup.shared], sup.lifeline)


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (0, None, 0),
        (1, None, 1),
        (0, SystemExit(4), 4),
        (0, SystemExit("eblog-server: error: a bad zip"), 1),
        (0, SystemExit(None), 1),
    ],
)
def test_the_child_exits_with_the_server_s_status(
    make: Callable[..., Supervisor], child: Child, status: int, error: BaseException | None, code: int
) -> None:
    sup = make(workers=2, reuse_port=False)
    sup.shared = socket.socket()
    served_by(sup).status, served_by(sup).error = status, error
    assert child.status(sup) == code
    assert (child.out.getvalue(), child.err.getvalue(), child.out.flushes, child.err.flushes) == ("", "", 1, 1)


def test_a_child_that_fails_prints_the_traceback_and_exits_1(make: Callable[..., Supervisor], child: Child) -> None:
    sup = make(workers=2, reuse_port=False)
    sup.shared = socket.socket()
    served_by(sup).error = RuntimeError("the event loop broke")
    assert child.status(sup) == 1
    assert child.err.getvalue().startswith("Traceback (most recent call last):\n")
    assert child.err.getvalue().endswith("\nRuntimeError: the event loop broke\n")
    assert (child.out.getvalue(), child.out.flushes, child.err.flushes) == ("", 1, 1)


def test_a_child_that_fails_before_serving_exits_1(
    make: Callable[..., Supervisor], child: Child, monkeypatch: pytest.MonkeyPatch
) -> None:
    sup = make(workers=2, reuse_port=False)

    def broken_setpgid(pid: int, group: int) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "setpgid", broken_setpgid)
    assert child.status(sup) == 1
    assert child.err.getvalue().endswith("\nPermissionError: [Errno 1] Operation not permitted\n")
    assert served_by(sup).calls == []
    assert server.BOOT_STARTED == BOOT


def test_serve_here_on_the_shared_socket_says_ready_once_serving(
    make: Callable[..., Supervisor], children: Children
) -> None:
    sup = make(workers=2)
    sup.shared = socket.socket()
    ready, ready_end = children.pipe()
    assert sup.serve_here(ready_end) == 0
    served = sup.serve
    assert isinstance(served, Served)
    ((settings, sockets, on_started, lifeline),) = served.calls
    assert (settings, sockets, lifeline) == (sup.settings, [sup.shared], sup.lifeline)
    assert on_started is not None and not closed(ready_end)
    on_started()
    assert (os.read(ready, 2), closed(ready_end)) == (b"r", True)


def test_serve_here_binds_its_own_socket_with_reuse_port(
    make: Callable[..., Supervisor], children: Children, recording_sockets: list[RecordingSocket]
) -> None:
    sup = make(workers=2)
    _, ready_end = children.pipe()
    sup.serve_here(ready_end)
    (sock,) = recording_sockets
    served = sup.serve
    assert isinstance(served, Served)
    assert served.calls[0][1] == [sock]
    assert (sock.options, sock.getsockname()[0], listening(sock)) == ([REUSEADDR, REUSEPORT], "127.0.0.1", False)


def test_serve_here_on_a_port_in_use_is_one_line_and_status_1(
    make: Callable[..., Supervisor], taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = make(workers=2, port=taken_port)
    assert sup.serve_here(-1) == 1
    assert capsys.readouterr() == ("", f"eblog-server: error: 127.0.0.1:{taken_port}: address already in use\n")
    served = sup.serve
    assert isinstance(served, Served) and served.calls == []


def test_serve_here_gives_an_error_without_strerror_by_its_text(
    make: Callable[..., Supervisor], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(host: str, port: int, reuse_port: bool) -> socket.socket:
        raise OSError("No Such Address")

    monkeypatch.setattr(supervisor, "bind", refuse)
    sup = make(workers=2, port=8080)
    assert sup.serve_here(-1) == 1
    assert capsys.readouterr().err == "eblog-server: error: 127.0.0.1:8080: no such address\n"
