"""The images' HEALTHCHECK, in one place: both images run this file, and so does the minimal tree's
verify step. GET /healthz on the port the server listens on ($PORT, as the server reads it, else
8080): an answer other than 200, or none within 2 s, exits 1 with one line saying why. Python,
because neither image has curl, and the minimal one has no shell. http.client, not urllib.request:
urllib's opener sets up a TLS context for https at every start, and the minimal image has no TLS
(docker/minimal/nossl.py)."""

import http.client
import os
import sys

ADDRESS = f"127.0.0.1:{os.environ.get('PORT') or 8080}"

try:
    connection = http.client.HTTPConnection(ADDRESS, timeout=2)
    connection.request("GET", "/healthz")
    status = connection.getresponse().status
except (OSError, http.client.HTTPException) as error:
    sys.exit(f"healthcheck: GET http://{ADDRESS}/healthz: {error or type(error).__name__}")
if status != 200:
    sys.exit(f"healthcheck: GET http://{ADDRESS}/healthz: {status}")
