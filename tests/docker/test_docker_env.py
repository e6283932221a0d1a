"""scripts/docker-env and the `docker` it puts first on PATH, against a fake `docker` client.

The fake answers as an engine with Docker's bridge network, or as one without (this project's own
dockerd, many CI runners and locked-down laptops), and records the arguments of every other
command. README's commands (`eval "$(scripts/docker-env start)"`, then `docker build` and `docker
run -p`) must reach the real client with `--network host` only where there is no bridge, say so
in one line, and leave a command that names its own network alone. No engine is needed.
"""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from workshop.engine import CACHE_BOUND, REPO, DockerError, binary_bytes, parse_settings, parse_size

FAKE_DOCKER = """#!/usr/bin/env bash
# A docker client and engine for tests: BuildKit-capable, engine kind from FAKE_BRIDGE.
case "$1 $2" in
    "buildx version") [ "${FAKE_BUILDX:-1}" = 1 ] && exit 0 || exit 1 ;;
    "version --format")
        [ -z "${FAKE_UP:-}" ] || [ -f "$FAKE_UP" ] || exit 1  # an engine that answers once started
        case "$3" in
            *Client*) echo "${FAKE_CLIENT_VERSION:-27.0.1}" ;;
            *) echo 27.0.1 ;;
        esac
        exit 0 ;;
    "network inspect")
        [ "$FAKE_BRIDGE" = 1 ] && { echo '[{"Name": "bridge"}]'; exit 0; }
        echo "Error: No such network: bridge" >&2; exit 1 ;;
esac
printf '%s\\n' "$*" >>"$FAKE_LOG"
"""


@pytest.fixture
def fake(tmp_path: Path) -> dict[str, str]:
    """An environment whose PATH starts with the fake docker (and has no other usable fallback)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").write_text(FAKE_DOCKER)
    (bin_dir / "docker").chmod(0o755)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("EBLOG_", "DOCKER_"))},
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "DOCKER_HOST": "unix:///fake.sock",
        "FAKE_LOG": str(tmp_path / "calls.log"),
        "EBLOG_DOCKER_FALLBACK": str(tmp_path / "no-such-docker"),
    }


def shell(script: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """README's way: a bash that evals docker-env's output, then runs the commands given."""
    return subprocess.run(
        ["bash", "-c", f'set -e; eval "$(scripts/docker-env start)"; {script}'],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def calls(env: dict[str, str]) -> list[str]:
    log = Path(env["FAKE_LOG"])
    return log.read_text().splitlines() if log.is_file() else []


def test_without_a_bridge_docker_adds_network_host_and_says_so(fake: dict[str, str]) -> None:
    fake["FAKE_BRIDGE"] = "0"
    result = shell("docker build -t eblog .; docker run --rm -p 8080:8080 eblog; docker images", fake)
    assert result.returncode == 0, result.stderr
    assert calls(fake) == [
        "build --network host -t eblog .",
        "run --network host --rm -p 8080:8080 eblog",
        "images",
    ]
    added = [line for line in result.stderr.splitlines() if "added --network host" in line]
    assert added == ["docker: this engine has no bridge network: added --network host"] * 2, result.stderr
    assert "docker-env: this engine has no bridge network" in result.stderr


def test_with_a_bridge_nothing_is_added(fake: dict[str, str]) -> None:
    fake["FAKE_BRIDGE"] = "1"
    result = shell("docker build -t eblog .; docker run --rm -p 8080:8080 eblog", fake)
    assert result.returncode == 0, result.stderr
    assert calls(fake) == ["build -t eblog .", "run --rm -p 8080:8080 eblog"]
    assert "network" not in result.stderr


def test_a_network_given_is_kept(fake: dict[str, str]) -> None:
    fake["FAKE_BRIDGE"] = "0"
    result = shell("docker run --rm --network none eblog; docker build --network=host .", fake)
    assert result.returncode == 0, result.stderr
    assert calls(fake) == ["run --rm --network none eblog", "build --network=host ."]


def test_the_eval_leaves_the_buildkit_client_first_on_path(fake: dict[str, str]) -> None:
    fake["FAKE_BRIDGE"] = "1"
    result = shell('command -v docker; echo "$EBLOG_DOCKER"; echo "$DOCKER_BUILDKIT $EBLOG_DOCKER_NETWORK"', fake)
    assert result.returncode == 0, result.stderr
    wrapper, client, flags = result.stdout.splitlines()
    assert wrapper == str(REPO / "scripts" / "docker-bin" / "docker")
    assert client == fake["PATH"].split(":")[0] + "/docker"
    assert flags == "1 bridge"


def test_the_settings_parse_as_the_python_side_reads_them(fake: dict[str, str]) -> None:
    fake["FAKE_BRIDGE"] = "0"
    output = subprocess.run(
        ["scripts/docker-env", "start"], cwd=REPO, env=fake, capture_output=True, text=True, check=True
    ).stdout
    settings = parse_settings(output)
    assert (settings.network, settings.started_pid) == ("host", "")
    assert settings.env["DOCKER_HOST"] == "unix:///fake.sock"
    assert settings.env["PATH"].startswith(str(REPO / "scripts" / "docker-bin") + ":")


def test_a_client_without_buildkit_says_why_and_the_fix(fake: dict[str, str], tmp_path: Path) -> None:
    # A PATH with the fake and the few tools the script uses, but no other docker (this host may have one).
    tools = tmp_path / "tools"
    tools.mkdir()
    for name in ("bash", "cut", "head", "dirname"):
        (tools / name).symlink_to(shutil.which(name) or name)
    fake |= {"FAKE_BUILDX": "0", "FAKE_CLIENT_VERSION": "28.2.2", "FAKE_BRIDGE": "1"}
    fake["PATH"] = f"{fake['PATH'].split(':')[0]}:{tools}"
    result = subprocess.run(["scripts/docker-env", "check"], cwd=REPO, env=fake, capture_output=True, text=True)
    assert result.returncode == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "(28.2.2) cannot build with BuildKit" in line and "apt-get install docker-buildx" in line, line


FAKE_ROOM_PYTHON = """#!/usr/bin/env bash
# The laptop's python, as far as the wrapper asks it: the room's mirror and its build arguments.
[ "$*" = "-m workshop mirror --build-args" ] || { echo "unexpected: $*" >&2; exit 2; }
printf 'HTTP_PROXY=http://127.0.0.1:3141\\nNO_PROXY=localhost,127.0.0.1,::1\\n'
"""


@pytest.fixture
def loaded_room(fake: dict[str, str], tmp_path: Path) -> Path:
    """A checkout where `./scripts/workshop load` has run (the wrapper, .workshop/mirror), and PYTHON."""
    checkout = tmp_path / "checkout"
    (checkout / "scripts" / "docker-bin").mkdir(parents=True)
    shutil.copy2(REPO / "scripts" / "docker-bin" / "docker", checkout / "scripts" / "docker-bin" / "docker")
    (checkout / ".workshop" / "mirror").mkdir(parents=True)
    (checkout / ".workshop" / "mirror" / "index.json").write_text("{}\n")
    (tmp_path / "python").write_text(FAKE_ROOM_PYTHON)
    (tmp_path / "python").chmod(0o755)
    fake |= {"PYTHON": str(tmp_path / "python"), "EBLOG_DOCKER": fake["PATH"].split(":")[0] + "/docker"}
    return checkout / "scripts" / "docker-bin" / "docker"


@pytest.mark.parametrize("network", ["bridge", "host"])
def test_after_load_a_build_downloads_through_the_rooms_mirror_on_the_hosts_network(
    fake: dict[str, str], loaded_room: Path, network: str
) -> None:
    fake["EBLOG_DOCKER_NETWORK"] = network
    for command in (["build", "-t", "eblog", "."], ["image", "build", "."], ["run", "--rm", "eblog"]):
        result = subprocess.run([str(loaded_room), *command], env=fake, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
    proxy = "--build-arg HTTP_PROXY=http://127.0.0.1:3141 --build-arg NO_PROXY=localhost,127.0.0.1,::1"
    if network == "host":  # added by the no-bridge rule, first
        expected = [
            f"build --network host {proxy} -t eblog .",
            f"image build --network host {proxy} .",
            "run --network host --rm eblog",
        ]
    else:  # added by the room's rule, after its proxy
        expected = [
            f"build {proxy} --network host -t eblog .",
            f"image build {proxy} --network host .",
            "run --rm eblog",
        ]
    assert calls(fake) == expected


def test_without_a_loaded_room_a_build_gets_no_proxy(fake: dict[str, str], loaded_room: Path) -> None:
    (loaded_room.parent.parent.parent / ".workshop" / "mirror" / "index.json").unlink()
    fake["EBLOG_DOCKER_NETWORK"] = "bridge"
    result = subprocess.run([str(loaded_room), "build", "."], env=fake, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert calls(fake) == ["build ."]


FAKE_DOCKERD = """#!/usr/bin/env bash
# dockerd for tests: up at once, then as long-lived as a daemon, with whatever files it was given.
printf '%s\n' "$@" >"$FAKE_UP.args"
touch "$FAKE_UP"
exec sleep 120
"""


@pytest.fixture
def started(fake: dict[str, str], tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`scripts/docker-env start` with no engine answering, so that it starts the fake dockerd; its PID."""
    if os.geteuid() != 0:
        pytest.skip("docker-env starts an engine only as root")
    (Path(fake["PATH"].split(":")[0]) / "dockerd").write_text(FAKE_DOCKERD)
    (Path(fake["PATH"].split(":")[0]) / "dockerd").chmod(0o755)
    fake |= {"FAKE_UP": str(tmp_path / "up"), "EBLOG_DOCKER_ROOT": str(tmp_path / "engine"), "FAKE_BRIDGE": "0"}
    fake["DOCKER_HOST"] = "unix:///nothing-answers-here.sock"
    result = subprocess.run(
        ["scripts/docker-env", "start"], cwd=REPO, env=fake, capture_output=True, text=True, timeout=60
    )
    pid = parse_settings(result.stdout).started_pid
    try:
        assert result.returncode == 0 and pid, result.stderr
        yield pid, tmp_path / "up.args"
    finally:
        if pid:
            os.kill(int(pid), 9)


def test_the_engine_docker_env_starts_does_not_hold_its_start_lock(started: tuple[str, Path], tmp_path: Path) -> None:
    """A daemon holding start.lock would leave the next starter waiting on it for as long as it runs."""
    held = [os.readlink(fd) for fd in Path(f"/proc/{started[0]}/fd").iterdir()]
    assert str(tmp_path / "engine" / "start.lock") not in held, held


def test_the_engine_docker_env_starts_bounds_its_build_cache(started: tuple[str, Path], tmp_path: Path) -> None:
    """Without a bound, a day of test runs filled this machine's disk with 53 GB of build cache."""
    args = started[1].read_text().splitlines()
    assert args[:2] == ["--config-file", str(tmp_path / "engine" / "daemon.json")]
    config = json.loads((tmp_path / "engine" / "daemon.json").read_text())
    assert config == {"builder": {"gc": {"enabled": True, "defaultKeepStorage": "10GB"}}}
    assert binary_bytes(CACHE_BOUND) == 10 * 1024**3, "the tests trim to the bound the engine keeps"


@pytest.mark.parametrize(
    ("printed", "size"),
    [("0B", 0), ("512B", 512), ("858.8MB", 858_800_000), ("54.76GB", 54_760_000_000), ("1.2kB", 1_200), ("2TB", 2e12)],
)
def test_sizes_read_as_docker_system_df_prints_them(printed: str, size: int) -> None:
    assert parse_size(printed) == size


@pytest.mark.parametrize("printed", ["", "GB", "12", "3 GB", "4GiB", "1.5XB"])
def test_a_size_docker_would_not_print_is_refused(printed: str) -> None:
    with pytest.raises(DockerError, match="not a size docker prints"):
        parse_size(printed)


def test_bounds_read_in_powers_of_1024_as_buildkit_reads_them() -> None:
    assert [binary_bytes(b) for b in ("512kB", "3MB", "10GB", "1TB")] == [524_288, 3_145_728, 10_737_418_240, 1024**4]
    with pytest.raises(DockerError, match="not a bound docker reads"):
        binary_bytes("1.5GB")
