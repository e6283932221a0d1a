"""What the minimal image promises its processes, shared by the build's scripts and the Docker test.

The Dockerfile's `minimal` stage repeats these values (an instruction cannot read a file);
tests/docker checks that the built image carries exactly them, so the two cannot drift apart.
"""

# The image's ENV: `python` from the tree's interpreter (/usr/local/bin in the official base,
# /usr/bin in the Debian look-alike), the serve venv's modules on sys.path, no bytecode
# written at run time, logs unbuffered, UTF-8. No SSL_CERT_FILE: the tree has no TLS (nossl.py).
IMAGE_ENV = {
    "PATH": "/usr/local/bin:/usr/bin",
    "PYTHONPATH": "/opt/serve/packages",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "LANG": "C.UTF-8",
}
PACKAGES = IMAGE_ENV["PYTHONPATH"]
# The HEALTHCHECK's command, run from WORKDIR: docker/healthcheck.py, copied there by the Dockerfile.
HEALTHCHECK = ["python", "healthcheck.py"]
USER = 10001  # USER, uid and gid
APP = "/app"  # WORKDIR: `python -m server` imports the server package from here
