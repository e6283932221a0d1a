"""Ports on this host, for the servers the tests and benchmarks start and for containers on the host's network."""

import socket


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A port nothing listens on now, picked by the kernel."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
