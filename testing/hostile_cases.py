"""Hostile requests, as raw bytes, with the status eblog must answer each with.

Shared by tests/server/test_server_hostile.py (which asserts them against the
real server process) and bench/hostile.py (which prints them beside nginx's
answers).  Every case is one TCP connection: the bytes are sent at once and the
client half-closes, then every answer is read.  ``expected`` lists the status
of each answer in order (pipelined requests give several).
"""

from dataclasses import dataclass

# The headers every answer must carry, with their values written out here (not imported from the server).
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"content-security-policy": b"default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    b"base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    b"referrer-policy": b"strict-origin-when-cross-origin",
    b"x-frame-options": b"DENY",
}
PAGE = b"/hello"
PAGE_SIZE_HINT = 20_000  # hello.html is about this big in the sample site


@dataclass(frozen=True)
class Case:
    group: str
    name: str
    request: bytes
    expected: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.group}: {self.name}"


def get(target: bytes, *fields: bytes, method: bytes = b"GET", version: bytes = b"HTTP/1.1") -> bytes:
    lines = [method + b" " + target + b" " + version, b"Host: localhost", *fields, b"", b""]
    return b"\r\n".join(lines)


def raw(*lines: bytes) -> bytes:
    return b"\r\n".join((*lines, b"", b""))


TRAVERSAL = [
    (b"/../../../../etc/passwd", 404),
    (b"/%2e%2e/%2e%2e/etc/passwd", 404),
    (b"/%2E%2E/%2E%2E/etc/passwd", 404),
    (b"/..%2f..%2f..%2fetc%2fpasswd", 404),
    (b"/static/..%2f..%2f..%2fetc%2fpasswd", 404),
    (b"/static/../../etc/passwd", 404),
    (b"/%252e%252e/%252e%252e/etc/passwd", 404),
    (b"/..%5c..%5c..%5cetc%5cpasswd", 404),
    (b"/..\\..\\etc\\passwd", 404),
    (b"/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd", 400),
    (b"/%e0%80%ae%e0%80%ae/etc/passwd", 400),
    (b"/%2fetc%2fpasswd", 404),
    (b"//etc/passwd", 404),
    (b"///etc/passwd", 404),
    (b"/./hello", 404),
    (b"/hello/.", 404),
    (b"/hello/..", 404),
    (b"/hello/%2e%2e", 404),
    (b"/.%2e/hello", 404),
    (b"/static/./logo.png", 404),
    (b"/static//logo.png", 404),
    (b"/etc/passwd", 404),
    (b"/proc/self/environ", 404),
    (b"/server/app.py", 404),
    (b"/assets.zip", 404),
    (b"/.git/config", 404),
    (b"/.env", 404),
    (b"/%00", 400),
    (b"/hello%00", 400),
    (b"/hello%00.html", 400),
    (b"/hello%0a", 400),
    (b"/hello%0d%0aSet-Cookie:%20a=b", 400),
    (b"/%7f", 400),
    (b"/%ff", 400),
    (b"/%c3%28", 400),
    (b"/%", 404),
    (b"/%zz", 404),
    (b"/%2", 404),
    (b"/hello%2f", 301),
    (b"/hello/", 301),
    (b"/hello.html", 301),
    (b"/HELLO", 404),
    (b"/hello?x=1", 200),
    (b"/hello?", 200),
    (b"/hello#frag", 200),
    (b"/hello?x=%0d%0aSet-Cookie:a", 200),
    (b"/hello/?x=1&y=2", 301),
    (b"//evil.example/", 404),
    (b"/\\evil.example", 404),
    (b"http://evil.example/hello", 200),
    (b"http://evil.example/hello/", 301),
    (b"https://localhost/hello", 200),
    (b"hello", 400),
    (b"*", 400),
    (b"/" + b"a" * 4000, 404),
    (b"/" + b"%41" * 2000, 404),
    (b"/" + b"a/" * 1500, 404),
    (b"/index.html", 301),
    (b"/index", 301),
    (b"/404.html", 404),
    (b"/404", 404),
    (b"/static/", 404),
    (b"/static", 404),
    (b"/healthz/", 404),
    (b"/healthz?x=1", 200),
    (b"/tiny.txt;.html", 404),
    (b"/tiny.txt%20", 404),
    (b"/tiny.txt%09", 400),
    (b"/ tiny.txt", 400),
]

METHODS = [
    (b"GET", 200),
    (b"HEAD", 200),
    (b"POST", 405),
    (b"PUT", 405),
    (b"DELETE", 405),
    (b"PATCH", 405),
    (b"OPTIONS", 405),
    (b"TRACE", 405),
    (b"PROPFIND", 405),
    (b"MKCOL", 405),
    (b"get", 400),
    (b"BREW", 400),
    (b"G ET", 400),
    (b"GET\x00", 400),
    (b"X" * 100, 400),
    (b"", 400),
]

VERSIONS = [
    (b"HTTP/1.1", 200),
    (b"HTTP/1.0", 200),
    (b"HTTP/2.0", 505),
    (b"HTTP/0.9", 505),
    (b"HTTP/3.0", 505),
    (b"HTTP/1.2", 505),
    (b"HTTP/9.9", 505),
    (b"http/1.1", 400),
    (b"HTTP/1.1 extra", 400),
    (b"HTTP/1", 400),
    (b"HTTP/11", 400),
    (b"HTTP/1.1.1", 400),
    (b"HTTPS/1.1", 400),
    (b"", 400),
]

HOSTS = [
    ("no Host on HTTP/1.1", raw(b"GET /hello HTTP/1.1"), 400),
    ("two Hosts", raw(b"GET /hello HTTP/1.1", b"Host: a", b"Host: b"), 400),
    ("two equal Hosts", raw(b"GET /hello HTTP/1.1", b"Host: a", b"Host: a"), 400),
    ("Host with a space", raw(b"GET /hello HTTP/1.1", b"Host: a b"), 400),
    ("Host with a slash", raw(b"GET /hello HTTP/1.1", b"Host: a/b"), 400),
    ("Host with a user", raw(b"GET /hello HTTP/1.1", b"Host: user@a"), 400),
    ("Host with a bad port", raw(b"GET /hello HTTP/1.1", b"Host: a:b"), 400),
    ("empty Host", raw(b"GET /hello HTTP/1.1", b"Host:"), 200),
    ("Host with a port", raw(b"GET /hello HTTP/1.1", b"Host: example.com:8080"), 200),
    ("IPv6 Host", raw(b"GET /hello HTTP/1.1", b"Host: [::1]:8080"), 200),
    ("IPv4 Host", raw(b"GET /hello HTTP/1.1", b"Host: 127.0.0.1"), 200),
    ("HTTP/1.0 without Host", raw(b"GET /hello HTTP/1.0"), 200),
    ("HTTP/1.0 with two Hosts", raw(b"GET /hello HTTP/1.0", b"Host: a", b"Host: b"), 400),
    ("Host in a list", raw(b"GET /hello HTTP/1.1", b"Host: a, b"), 400),
]

FRAMING = [
    ("CL and TE", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 4", b"Transfer-Encoding: chunked")
     + b"0\r\n\r\n", (400,)),
    ("TE and CL", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked", b"Content-Length: 4")
     + b"0\r\n\r\n", (400,)),
    ("two different CLs", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 3", b"Content-Length: 5")
     + b"abcde", (400,)),
    ("two equal CLs", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 3", b"Content-Length: 3") + b"abc",
     (400,)),
    ("CL list", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 3, 3") + b"abc", (400,)),
    ("negative CL", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: -1"), (400,)),
    ("CL not a number", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: abc"), (400,)),
    ("CL with a plus", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: +3") + b"abc", (400,)),
    ("huge CL", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 99999999999999999999999"), (400,)),
    ("TE gzip, chunked", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: gzip, chunked")
     + b"0\r\n\r\n", (501,)),
    ("TE gzip", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: gzip"), (501,)),
    # chunked applied twice is a framing error (RFC 9112 6.1), which the parser refuses before we look
    ("TE chunked, chunked", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked, chunked")
     + b"0\r\n\r\n", (400,)),
    ("TE twice", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked", b"Transfer-Encoding: chunked")
     + b"0\r\n\r\n", (400,)),
    ("TE identity", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: identity"), (501,)),
    ("TE xchunked", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: xchunked"), (501,)),
    ("TE with a space before the colon", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding : chunked")
     + b"0\r\n\r\n", (400,)),
    ("TE on HTTP/1.0", raw(b"POST /hello HTTP/1.0", b"Transfer-Encoding: chunked") + b"0\r\n\r\n", (400,)),
    ("TE chunked, good body", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked")
     + b"3\r\nabc\r\n0\r\n\r\n", (405,)),
    ("chunk size not hex", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked") + b"zz\r\n\r\n",
     (405, 400)),
    ("chunk size huge", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked")
     + b"fffffffffffffffffff\r\n", (405, 400)),
    ("obs-fold", raw(b"GET /hello HTTP/1.1", b"Host: a", b"X-A: 1", b" 2"), (400,)),
    ("obs-fold with a tab", raw(b"GET /hello HTTP/1.1", b"Host: a", b"X-A: 1", b"\t2"), (400,)),
    ("field without a colon", raw(b"GET /hello HTTP/1.1", b"Host: a", b"Nonsense"), (400,)),
    ("space in a field name", raw(b"GET /hello HTTP/1.1", b"Host: a", b"X A: 1"), (400,)),
    ("empty field name", raw(b"GET /hello HTTP/1.1", b"Host: a", b": 1"), (400,)),
    ("NUL in a field value", raw(b"GET /hello HTTP/1.1", b"Host: a", b"X-A: a\x00b"), (400,)),
    ("CR in a field value", raw(b"GET /hello HTTP/1.1", b"Host: a", b"X-A: a\rb"), (400,)),
    ("bare LF line ends", b"GET /hello HTTP/1.1\nHost: a\n\n", (400,)),
    ("bare CR line ends", b"GET /hello HTTP/1.1\rHost: a\r\r", (400,)),
    ("leading blank line", b"\r\n" + raw(b"GET /hello HTTP/1.1", b"Host: a"), (200,)),
    # RFC 9112 3: a recipient MAY parse the request line on whitespace boundaries (nginx does)
    ("two spaces in the request line", raw(b"GET  /hello HTTP/1.1", b"Host: a"), (200,)),
    ("tab in the request line", raw(b"GET\t/hello HTTP/1.1", b"Host: a"), (400,)),
    ("TLS hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, (400,)),
    ("HTTP/2 preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", (505,)),
    ("Upgrade h2c ignored", raw(b"GET /hello HTTP/1.1", b"Host: a", b"Connection: Upgrade, HTTP2-Settings",
                                b"Upgrade: h2c", b"HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA"), (200,)),
    ("Upgrade websocket ignored", raw(b"GET /hello HTTP/1.1", b"Host: a", b"Connection: Upgrade",
                                      b"Upgrade: websocket"), (200,)),
    ("CONNECT", raw(b"CONNECT localhost:443 HTTP/1.1", b"Host: localhost:443"), (400,)),
    ("Expect 100-continue", raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 3", b"Expect: 100-continue")
     + b"abc", (405,)),
    ("GET with a body", raw(b"GET /tiny.txt HTTP/1.1", b"Host: a", b"Content-Length: 5") + b"hello", (200,)),
]  # fmt: skip


def header_cases() -> list[Case]:
    def big(name: str, *fields: bytes, expected: int) -> Case:
        return Case("headers", name, raw(b"GET /tiny.txt HTTP/1.1", b"Host: a", *fields), (expected,))

    return [
        big("a 7 KB field", b"X-A: " + b"a" * 7000, expected=200),
        big("a 9 KB field", b"X-A: " + b"a" * 9000, expected=431),
        big("a 1 MB field", b"X-A: " + b"a" * 1_000_000, expected=431),
        big("a 9 KB field name", b"X-" + b"a" * 9000 + b": 1", expected=431),
        big("a 512 KB field name", b"X-" + b"a" * 512_000 + b": 1", expected=431),
        big("four 7 KB fields (28 KB)", *(b"X-%d: " % i + b"a" * 7000 for i in range(4)), expected=200),
        big("five 7 KB fields (35 KB)", *(b"X-%d: " % i + b"a" * 7000 for i in range(5)), expected=431),
        big("fifty small fields", *(b"X-%d: b" % i for i in range(50)), expected=200),
        big("500 small fields", *(b"X-%d: b" % i for i in range(500)), expected=431),
        big("a 7 KB cookie", b"Cookie: " + b"a=b; " * 1400, expected=200),
        big("a 9 KB referer", b"Referer: http://x/" + b"a" * 9000, expected=431),
        Case("headers", "an 8 KB request line", b"GET /" + b"a" * 8200 + b" HTTP/1.1\r\nHost: a\r\n\r\n", (414,)),
        Case("headers", "a 100 KB request line", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", (414,)),
        Case("headers", "a 7 KB query", b"GET /tiny.txt?" + b"a" * 7000 + b" HTTP/1.1\r\nHost: a\r\n\r\n", (200,)),
        Case("headers", "a head that never ends (100 KB)", b"GET /tiny.txt HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 100_000,
             (431,)),
    ]  # fmt: skip


def pipelined() -> list[Case]:
    ok = get(b"/tiny.txt")
    return [
        Case("pipelining", "two GETs", ok + ok, (200, 200)),
        Case("pipelining", "ten GETs", ok * 10, (200,) * 10),
        Case("pipelining", "a 404 then a GET", get(b"/nope") + ok, (404, 200)),
        Case("pipelining", "a 400 path then a GET", get(b"/%00") + ok, (400, 200)),
        Case("pipelining", "a 405 with a body then a GET",
             raw(b"POST /hello HTTP/1.1", b"Host: a", b"Content-Length: 3") + b"abc" + ok, (405, 200)),
        Case("pipelining", "HEAD between GETs", ok + get(b"/tiny.txt", method=b"HEAD") + ok, (200, 200, 200)),
        Case("pipelining", "healthz between GETs", ok + get(b"/healthz") + ok, (200, 200, 200)),
        Case("pipelining", "a redirect then a GET", get(b"/hello/") + ok, (301, 200)),
        Case("pipelining", "a GET then a broken request", ok + b"GET / HTTP/1.1\r\nBad\r\n\r\n", (200, 400)),
        Case("pipelining", "a GET then no Host", ok + raw(b"GET /tiny.txt HTTP/1.1"), (200, 400)),
        Case("pipelining", "Connection: close ends it", get(b"/tiny.txt", b"Connection: close") + ok, (200,)),
        Case("pipelining", "HTTP/1.0 closes after one", get(b"/tiny.txt", version=b"HTTP/1.0") + ok, (200,)),
        Case("pipelining", "a GET with a chunked body then a GET",
             raw(b"GET /tiny.txt HTTP/1.1", b"Host: a", b"Transfer-Encoding: chunked") + b"2\r\nab\r\n0\r\n\r\n" + ok,
             (200, 200)),
        Case("pipelining", "100 GETs", ok * 100, (200,) * 100),
        Case("pipelining", "304 then 206 then 416",
             get(b"/tiny.txt", b'If-None-Match: *') + get(b"/tiny.txt", b"Range: bytes=0-0")
             + get(b"/tiny.txt", b"Range: bytes=100-"), (304, 206, 416)),
    ]  # fmt: skip


RANGES = [
    (b"bytes=0-0", 206),
    (b"bytes=0-9", 206),
    (b"bytes=-1", 206),
    (b"bytes=-0", 416),
    (b"bytes=0-", 206),
    (b"bytes=19999999-", 416),
    (b"bytes=5-1", 200),
    (b"bytes=0-1,2-3", 200),
    (b"bytes=0-1, 0-1, 0-1", 200),
    (b"bytes=" + b"0-0," * 1000 + b"0-0", 200),
    (b"bytes=a-b", 200),
    (b"bytes=-", 200),
    (b"bytes 0-9", 200),
    (b"lines=0-9", 200),
    (b"BYTES=0-9", 206),
    (b"bytes=99999999999999999999999999-", 416),
    (b"bytes=0-99999999999999999999999999", 206),
    (b"bytes=-99999999999999999999999999", 206),
    (b"bytes= 0-9", 206),
    (b"", 200),
]

CONDITIONALS = [
    ((b"If-None-Match: *",), 304),
    ((b'If-None-Match: "nope"',), 200),
    ((b"If-None-Match: " + b'"x", ' * 1000 + b'"y"',), 200),
    ((b"If-None-Match: W/",), 200),
    ((b"If-None-Match:",), 200),
    ((b"If-Match: *",), 200),
    ((b'If-Match: "nope"',), 412),
    ((b"If-Match:",), 412),
    ((b"If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT",), 304),
    ((b"If-Modified-Since: Mon, 13 Nov 2023 22:13:20 GMT",), 200),
    ((b"If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT",), 304),
    ((b"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",), 200),
    ((b"If-Modified-Since: garbage",), 200),
    ((b"If-Modified-Since: " + b"9" * 5000,), 200),
    ((b"If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT", b"If-Modified-Since: x"), 200),
    ((b"If-Unmodified-Since: Mon, 13 Nov 2023 22:13:20 GMT",), 412),
    ((b"If-Unmodified-Since: Tue, 14 Nov 2023 22:13:20 GMT",), 200),
    ((b"If-Unmodified-Since: nonsense",), 200),
    ((b"If-Range: Tue, 14 Nov 2023 22:13:20 GMT", b"Range: bytes=0-0"), 206),
    ((b'If-Range: "nope"', b"Range: bytes=0-0"), 200),
    ((b"If-Range: garbage", b"Range: bytes=0-0"), 200),
    ((b'If-Match: "nope"', b"If-None-Match: *"), 412),
]

ENCODINGS = [
    b"gzip",
    b"GZIP",
    b"x-gzip",
    b"gzip;q=0",
    b"*",
    b"*;q=0",
    b"br, deflate",
    b"gzip;q=1.5",
    b"gzip;q=-1",
    b"gzip;q=0.5, identity;q=0.9",
    b",,,,,",
    b"gzip, " * 1000,
    b";;;;;q=1",
]


def all_cases() -> list[Case]:
    cases = [Case("target", repr(target)[2:-1][:60], get(target), (status,)) for target, status in TRAVERSAL]
    cases += [Case("method", repr(method)[2:-1][:30] or "(empty)", get(PAGE, method=method), (status,))
              for method, status in METHODS]  # fmt: skip
    cases += [Case("version", repr(version)[2:-1] or "(none)", get(PAGE, version=version), (status,))
              for version, status in VERSIONS]  # fmt: skip
    cases += [Case("host", name, request, (status,)) for name, request, status in HOSTS]
    cases += [Case("framing", name, request, expected) for name, request, expected in FRAMING]
    cases += header_cases()
    cases += pipelined()
    cases += [Case("range", repr(value)[2:-1][:40] or "(empty)", get(PAGE, b"Range: " + value), (status,))
              for value, status in RANGES]  # fmt: skip
    cases += [Case("conditional", repr(b" + ".join(fields))[2:-1][:60], get(PAGE, *fields), (status,))
              for fields, status in CONDITIONALS]  # fmt: skip
    cases += [Case("encoding", repr(value)[2:-1][:40], get(PAGE, b"Accept-Encoding: " + value), (200,))
              for value in ENCODINGS]  # fmt: skip
    cases += [Case("head", repr(target)[2:-1], get(target, method=b"HEAD"), (status,))
              for target, status in ((b"/hello", 200), (b"/nope", 404), (b"/hello/", 301), (b"/%00", 400),
                                     (b"/healthz", 200))]  # fmt: skip
    return cases
