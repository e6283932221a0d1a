"""The minimal image's `ssl`: the names its importers read, and no TLS (docker/minimal/tree.py).

The server speaks plain HTTP (TLS ends at the proxy in front of it) and opens no outgoing
connection, yet uvloop and uvicorn import `ssl` and read some of its names when they are
imported (uvloop keeps the classes, exceptions and error numbers it would use for a TLS
connection; uvicorn the defaults of its --ssl-* options, which eblog's command line does not
offer). The real module needs OpenSSL's libssl and libcrypto (and libzstd, which libcrypto
links): 8.5 MB, a third of the image, for code no request runs. This stand-in, compiled
to the tree's ssl.pyc, keeps those imports working with the same values, and any attempt to
use TLS fails at once with an error saying why; the CA bundle goes too, as nothing could read it.
A name an importer needs and this module lacks fails the image's build: the verify step imports
everything the server does, and a TLS use on its paths (urllib's opener made one) fails there.
"""

from enum import IntEnum
from typing import NoReturn

OPENSSL_VERSION = "none: this image has no TLS (docker/minimal/nossl.py)"
HAS_SNI = HAS_ALPN = HAS_NEVER_CHECK_COMMON_NAME = False
OP_IGNORE_UNEXPECTED_EOF = 0x80


class VerifyMode(IntEnum):
    CERT_NONE = 0
    CERT_OPTIONAL = 1
    CERT_REQUIRED = 2


class _SSLMethod(IntEnum):
    PROTOCOL_TLS = 2
    PROTOCOL_TLS_CLIENT = 16
    PROTOCOL_TLS_SERVER = 17


class SSLErrorNumber(IntEnum):
    SSL_ERROR_SSL = 1
    SSL_ERROR_WANT_READ = 2
    SSL_ERROR_WANT_WRITE = 3
    SSL_ERROR_WANT_X509_LOOKUP = 4
    SSL_ERROR_SYSCALL = 5
    SSL_ERROR_ZERO_RETURN = 6
    SSL_ERROR_WANT_CONNECT = 7
    SSL_ERROR_EOF = 8
    SSL_ERROR_INVALID_ERROR_CODE = 10


globals().update(VerifyMode.__members__)
globals().update(_SSLMethod.__members__)
globals().update(SSLErrorNumber.__members__)
PROTOCOL_SSLv23 = _SSLMethod.PROTOCOL_TLS


class SSLError(OSError):
    pass


class SSLZeroReturnError(SSLError):
    pass


class SSLWantReadError(SSLError):
    pass


class SSLWantWriteError(SSLError):
    pass


class SSLSyscallError(SSLError):
    pass


class SSLEOFError(SSLError):
    pass


class SSLCertVerificationError(SSLError, ValueError):
    pass


CertificateError = SSLCertVerificationError


def no_tls(*_args: object, **_kwargs: object) -> NoReturn:
    raise SSLError("this image has no TLS: eblog's minimal image serves plain HTTP (docker/minimal/nossl.py)")


class SSLContext:
    __init__ = no_tls


class SSLObject:
    __init__ = no_tls


class SSLSocket:
    __init__ = no_tls


class MemoryBIO:
    __init__ = no_tls


create_default_context = _create_default_https_context = _create_unverified_context = no_tls
