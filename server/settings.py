"""Every setting of the server in one place: flags, then the environment, then the defaults.

Each value is checked once, at start-up; a bad one stops the server with one
line naming the flag or variable it came from (``EBLOG_ACCESS_LOG=offf`` is an
error, not a quiet "on").  Nothing else in server/ reads ``os.environ``: the
library code takes these records as arguments.
"""

import argparse
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from server.version import PrintVersion

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
SIZE_SUFFIXES = {"": 1, "K": KIB, "M": MIB, "G": GIB}
MAX_WORKERS = 64  # each worker holds the whole site: more than this is a typo, not a plan
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "QUOTA PERIOD", or "max PERIOD" for no limit
BASE_PATH = re.compile(r"(?:/[A-Za-z0-9._~-]+)*/?")  # a plain path: no encoding to get wrong, no query
SWITCHES = {"1": True, "on": True, "true": True, "yes": True, "0": False, "off": False, "false": False, "no": False}


class SettingsError(Exception):
    """A setting has a value the server can't use; the message names where it came from."""


@dataclass(frozen=True)
class Limits:
    """How much a client may send and how long it may take, as nginx bounds its clients.

    The defaults are nginx's (``large_client_header_buffers 4 8k``; its timeouts are
    longer: 60 s to send a head, 75 s of keep-alive).
    """

    max_request_line: int = 8 * KIB  # method, target and version
    max_header_line: int = 8 * KIB  # one field, name and value
    max_head: int = 32 * KIB  # the request line and every field, as received
    header_timeout: float = 10.0  # from the first byte of a request (or the connection) to its last
    keepalive_timeout: float = 30.0  # idle between two requests on one connection
    send_timeout: float = 60.0  # a client that stops reading its answer
    max_connections: int = 1024  # open at once; past it a new one gets 503 and is closed


@dataclass(frozen=True)
class Settings:
    host: str = "0.0.0.0"  # noqa: S104 (in a container, the port is only reachable from outside that way)
    port: int = 8080
    zip: Path | None = None  # None: server/assets.zip inside the package
    access_log: str = "combined"  # "combined", "json" or "off" (server/accesslog.py)
    max_site_bytes: int = GIB  # the inflated site, all files together
    workers: int = 1  # processes answering on the port; above 1, a supervisor runs them (server/supervisor.py)
    reuse_port: bool = True  # each worker its own SO_REUSEPORT socket where the kernel has it, else one shared
    drain: float = 5.0  # after SIGTERM: seconds of serving with /healthz at 503, so load balancers move away
    shutdown_timeout: float = 3.0  # then: seconds for the requests in flight to finish
    base_path: str = ""  # the path the site is served under ("/blog"), "" at the root (server/urls.py)
    cdn_max_age: int = 30  # s-maxage of pages and feeds (server/site.py): a CDN shows a publish within twice this
    verbosity: int = 0  # -1 (-q): no access log, only warnings and errors; 1 (-v): the settings in force too
    limits: Limits = field(default_factory=Limits)


@dataclass(frozen=True)
class Option:
    """One setting: the attribute of Settings or Limits it fills, its variable, how to read a value."""

    name: str
    env: str
    parse: Callable[[str], object]
    help: str

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def switch(text: str) -> bool:
    value = SWITCHES.get(text.strip().lower())
    if value is None:
        raise ValueError("is not on or off (on, off, 1, 0, true, false, yes, no)")
    return value


def log_style(text: str) -> str:
    """``combined`` (also any "on" of ``switch``), ``json``, or ``off``."""
    word = text.strip().lower()
    if word in ("combined", "json"):
        return word
    try:
        return "combined" if switch(word) else "off"
    except ValueError:
        raise ValueError("is not combined, json or off (on: combined)") from None


def port_number(text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError("is not a TCP port (1-65535)")
    return int(text)


def byte_size(text: str) -> int:
    """A positive size in bytes, with an optional binary suffix: 8192, 8K, 512M, 1G."""
    number, suffix = text.strip().upper(), ""
    if number[-1:] in SIZE_SUFFIXES:
        number, suffix = number[:-1], number[-1]
    if not number.isdigit() or int(number) == 0:
        raise ValueError("is not a size in bytes (a positive whole number, optionally with K, M or G)")
    return int(number) * SIZE_SUFFIXES[suffix]


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError("is not a number of seconds greater than 0")
    return value


def drain_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise ValueError("is not a number of seconds (0 or more; 0: no drain)")
    return value


def cpus_available() -> int:
    """The CPUs this process may use: its affinity mask, capped by a cgroup v2 quota (a container's CPU limit)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()
    except (OSError, ValueError):
        return cpus
    if quota == "max":
        return cpus
    return max(1, min(cpus, math.ceil(int(quota) / int(period))))


def worker_count(text: str) -> int:
    """A number of worker processes, or ``auto``: one per CPU the process may use."""
    if text.strip().lower() == "auto":
        return cpus_available()
    if not text.strip().isdigit() or not 0 < int(text) <= MAX_WORKERS:
        raise ValueError(f"is not auto or a number of workers from 1 to {MAX_WORKERS}")
    return int(text)


def whole_seconds(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError("is not a whole number of seconds (0 or more)")
    return int(text)


def count(text: str) -> int:
    if not text.strip().isdigit() or int(text) == 0:
        raise ValueError("is not a positive whole number")
    return int(text)


def url_path(text: str) -> str:
    """A path to serve the site under, ``/blog/`` or ``/blog``, kept as ``/blog``; ``/`` is the root ("")."""
    if not BASE_PATH.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
        raise ValueError("is not a path like /blog/ (segments of letters, digits, - . _ ~)")
    return text.rstrip("/")


def zip_path(text: str) -> Path:
    if not text:
        raise ValueError("is empty")
    return Path(text)


BARE_FLAGS: dict[Callable[[str], object], tuple[str, str]] = {  # parse -> (value when bare, metavar)
    switch: ("on", "on|off"),
    log_style: ("combined", "combined|json|off"),
}
SERVER_OPTIONS = (
    Option("port", "PORT", port_number, "port to listen on (default: 8080)"),
    Option("zip", "EBLOG_ZIP", zip_path, "the site's zip from prezip (default: server/assets.zip)"),
    Option(
        "access_log",
        "EBLOG_ACCESS_LOG",
        log_style,
        "a line per request on stdout, combined|json|off (default: combined)",
    ),
    Option("max_site_bytes", "EBLOG_MAX_SITE_BYTES", byte_size, "refuse a site inflating to more (default: 1G)"),
    Option("workers", "WORKERS", worker_count, "processes serving the port, N or auto: one per CPU (default: 1)"),
    Option("reuse_port", "EBLOG_REUSE_PORT", switch, "workers: a socket each (SO_REUSEPORT) or one (default: on)"),
    Option("drain", "EBLOG_DRAIN", drain_seconds, "seconds serving after SIGTERM, /healthz 503 (default: 5)"),
    Option("base_path", "EBLOG_BASE_PATH", url_path, "serve the site under this path, as its base_url (default: /)"),
    Option("cdn_max_age", "EBLOG_CDN_MAX_AGE", whole_seconds, "s-maxage of pages and feeds (default: 30)"),
    Option("shutdown_timeout", "EBLOG_SHUTDOWN_TIMEOUT", seconds, "then seconds for requests in flight (default: 3)"),
)
LIMIT_OPTIONS = (
    Option("max_request_line", "EBLOG_MAX_REQUEST_LINE", byte_size, "longest request line; longer: 414 (default: 8K)"),
    Option("max_header_line", "EBLOG_MAX_HEADER_LINE", byte_size, "longest header field; longer: 431 (default: 8K)"),
    Option("max_head", "EBLOG_MAX_HEAD", byte_size, "request line and all fields; more: 431 (default: 32K)"),
    Option("header_timeout", "EBLOG_HEADER_TIMEOUT", seconds, "seconds to send a whole request (default: 10)"),
    Option("keepalive_timeout", "EBLOG_KEEPALIVE_TIMEOUT", seconds, "seconds a connection may idle (default: 30)"),
    Option("send_timeout", "EBLOG_SEND_TIMEOUT", seconds, "seconds an answer may stay unread (default: 60)"),
    Option("max_connections", "EBLOG_MAX_CONNECTIONS", count, "open at once; past it, 503 (default: 1024)"),
)


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m server",
        description="Serve the zipped eblog site from memory (Starlette on uvicorn, httptools, uvloop).",
        epilog="Each flag can also be set by the environment variable shown. SIGTERM: keep serving for the drain "
        "time while /healthz (readiness) answers 503 and /livez (liveness) 200, then stop accepting, finish requests "
        "in flight, exit 0. SIGINT (Ctrl-C): the same without the drain. The same app under plain uvicorn: see "
        "server/app.py.",
    )
    parser.add_argument("--host", default=Settings.host, help="address to listen on (default: %(default)s)")
    for option in (*SERVER_OPTIONS, *LIMIT_OPTIONS):
        # a switch may be given bare (--reuse-port, --access-log) or with a value (--access-log off)
        bare = BARE_FLAGS.get(option.parse)
        shape = {"nargs": "?", "const": bare[0], "metavar": bare[1]} if bare else {}
        parser.add_argument(option.flag, dest=option.name, help=f"{option.help}; ${option.env}", **shape)  # type: ignore[arg-type]
    parser.add_argument("--no-access-log", dest="access_log", action="store_const", const="off",
                        help="same as --access-log off")  # fmt: skip
    parser.add_argument("--version", action=PrintVersion, tool="eblog-server")
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=-1, default=0,
                          help="no access log; only warnings and errors")  # fmt: skip
    loudness.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=1,
                          help="print every setting in force at start")  # fmt: skip
    return parser


def read(options: Sequence[Option], flags: argparse.Namespace | None, environ: Mapping[str, str]) -> dict[str, object]:
    """The values given for ``options``, by a flag or else the environment, each parsed and checked."""
    values: dict[str, object] = {}
    for option in options:
        given = None if flags is None else getattr(flags, option.name, None)
        source = option.flag
        if given is None and environ.get(option.env, "") != "":
            given, source = environ[option.env], option.env
        if given is None:
            continue
        try:
            values[option.name] = option.parse(given)
        except ValueError as error:
            raise SettingsError(f"{source}={given!r} {error}") from None
    return values


def check(limits: Limits) -> Limits:
    if limits.max_head < max(limits.max_request_line, limits.max_header_line):
        raise SettingsError(
            f"EBLOG_MAX_HEAD ({limits.max_head}) is smaller than one request line or header field "
            f"({max(limits.max_request_line, limits.max_header_line)})"
        )
    return limits


def load(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the command line (``argv``; ``None`` for no flags) and the environment."""
    flags = None if argv is None else parser().parse_args(argv)
    return from_flags(flags, os.environ if environ is None else environ)


def from_flags(flags: argparse.Namespace | None, env: Mapping[str, str]) -> Settings:
    """Settings from flags already parsed (by ``parser()`` or a parser that has it as a parent)."""
    limits = check(Limits(**read(LIMIT_OPTIONS, flags, env)))  # type: ignore[arg-type]
    values = read(SERVER_OPTIONS, flags, env)
    host = Settings.host if flags is None else flags.host
    verbosity = 0 if flags is None else flags.verbosity
    if verbosity < 0:
        values["access_log"] = "off"
    return Settings(host=host, verbosity=verbosity, limits=limits, **values)  # type: ignore[arg-type]
