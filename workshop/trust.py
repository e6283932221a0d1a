"""The room's certificate authority: what lets the mirror answer HTTPS, and base images that trust it.

`prep` makes a fresh authority with openssl, signs one certificate for the mirrored hosts and
deletes the authority's key at once: nothing can sign another. Its name constraints also limit it
to those hosts, and both expire after WEEKS weeks. The base images get it as one more file under
/usr/local/share/ca-certificates; pip (PIP_CERT) and uv (SSL_CERT_FILE) read the bundle
update-ca-certificates writes, so they accept the mirror's answers. The host's trust is untouched.
"""

import subprocess
import tempfile
from pathlib import Path

from workshop.engine import DockerError, Engine
from workshop.mirror import CERTIFICATE_FILE, HTTPS_HOSTS, KEY_FILE

WEEKS = 8
CA_FILE = "ca.crt"
TRUSTED_AS = "/usr/local/share/ca-certificates/eblog-workshop-mirror.crt"
LABEL = "org.eblog.workshop-mirror-ca"


def openssl(*args: str, cwd: Path) -> None:
    try:
        subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, check=True)
    except FileNotFoundError:
        raise DockerError("prep needs the openssl command (Debian: apt-get install openssl)") from None
    except subprocess.CalledProcessError as error:
        raise DockerError(f"openssl {args[0]} failed: {error.stderr.strip()[-500:]}") from None


def make_certificates(folder: Path) -> None:
    """folder/ca.crt, and folder/mirror.crt with its key for HTTPS_HOSTS; the authority's key is gone after."""
    days = str(WEEKS * 7)
    names = ",".join(f"permitted;DNS:{host}" for host in HTTPS_HOSTS)
    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", CA_FILE, "-days", days,
        "-subj", "/CN=eblog workshop mirror (one room, deleted key)",
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", f"nameConstraints=critical,{names}",
        cwd=folder,
    )  # fmt: skip
    extensions = folder / "mirror.ext"
    extensions.write_text(
        f"subjectAltName={','.join(f'DNS:{host}' for host in HTTPS_HOSTS)}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    try:
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY_FILE, "-out", "mirror.csr",
                "-subj", f"/CN={HTTPS_HOSTS[0]}", cwd=folder)  # fmt: skip
        openssl("x509", "-req", "-in", "mirror.csr", "-CA", CA_FILE, "-CAkey", "ca.key", "-set_serial", "1",
                "-days", days, "-extfile", extensions.name, "-out", CERTIFICATE_FILE, cwd=folder)  # fmt: skip
    finally:
        for leftover in ("ca.key", "mirror.csr", extensions.name):
            (folder / leftover).unlink(missing_ok=True)


def trust_in_image(engine: Engine, image: str, ca: Path) -> str:
    """Build image + the room's authority in its CA bundle; the new image's id (untagged, and kept)."""
    with tempfile.TemporaryDirectory(prefix="eblog-workshop-trust-") as context_name:
        context = Path(context_name)
        (context / CA_FILE).write_bytes(ca.read_bytes())
        (context / "Dockerfile").write_text(
            f"FROM {image}\n"
            f"COPY {CA_FILE} {TRUSTED_AS}\n"
            "RUN update-ca-certificates >/dev/null\n"
            f'LABEL {LABEL}="the eblog workshop mirror\'s authority, in the CA bundle"\n'
        )
        iid = context / "iid"
        engine("build", *engine.network_args, "--quiet", "--iidfile", str(iid), str(context), timeout=600)
        return iid.read_text().strip()
