"""The images' HEALTHCHECK, in one place: both images run this file, and so does the minimal tree's
verify step. GET /healthz on the port the server listens on ($PORT, as the server reads it, else
8080): an HTTP error, or no answer within 2 s, exits non-zero. Python, because neither image has
curl, and the minimal one has no shell."""

import os
import urllib.request

URL = f"http://127.0.0.1:{os.environ.get('PORT') or 8080}/healthz"

with urllib.request.urlopen(URL, timeout=2):
    pass
