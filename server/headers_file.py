"""The site's ``_headers`` file: the Content-Security-Policy its build chose.

buildindex writes the policy that rendermd's warnings describe (strict unless
site.toml's ``[csp]`` widened it) in the Netlify / Cloudflare Pages form::

    /*
      Content-Security-Policy: default-src 'none'; ...

The server sends that policy on every answer.  Only this one header, for every
path, is read: a file asking for anything else stops the server with its line,
rather than being half obeyed.  The file itself is not served.
"""

import re

from server.assets import SiteError

HEADERS_FILE = "_headers"
ALL_PATHS = "/*"
CSP_FIELD = "content-security-policy"
# A header value: visible ASCII and spaces, nothing that could end the field early.
FIELD_VALUE = re.compile(r"[\x20-\x7e]+")


def policy_in(text: str) -> str | None:
    """The Content-Security-Policy the file sets for every path, if it sets one."""
    policy = None
    pattern = None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{HEADERS_FILE}:{number}"
        if not line[0].isspace():
            pattern = line.strip()
            if pattern != ALL_PATHS:
                raise SiteError(f"{where}: only the rule for every path ({ALL_PATHS}) is supported, not {pattern!r}")
            continue
        name, colon, value = line.strip().partition(":")
        if pattern is None or not colon:
            raise SiteError(f"{where}: expected 'Name: value' under a path rule")
        if name.strip().lower() != CSP_FIELD:
            raise SiteError(f"{where}: only Content-Security-Policy is supported, not {name.strip()!r}")
        if not FIELD_VALUE.fullmatch(value.strip()):
            raise SiteError(f"{where}: the policy must be printable ASCII")
        policy = value.strip()
    return policy
