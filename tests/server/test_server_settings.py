"""server/settings.py: flags over the environment over defaults, and one clear line for every bad value."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import Limits, Settings, SettingsError, load
from testing.server_process import ROOT, server_env
from testing.server_sample import SampleSite


def test_defaults_without_flags_or_environment() -> None:
    settings = load([], {})
    assert settings == Settings()
    assert (settings.host, settings.port, settings.zip, settings.access_log) == ("0.0.0.0", 8080, None, "combined")
    assert settings.max_site_bytes == 1073741824
    assert (settings.workers, settings.reuse_port, settings.drain, settings.shutdown_timeout) == (1, True, 5.0, 3.0)
    assert settings.cdn_max_age == 30
    limits = settings.limits
    assert (limits.max_request_line, limits.max_header_line, limits.max_head) == (8192, 8192, 32768)
    assert (limits.header_timeout, limits.keepalive_timeout, limits.send_timeout) == (10.0, 30.0, 60.0)
    assert limits.max_connections == 1024


def test_every_setting_from_the_environment() -> None:
    environ = {
        "PORT": "9000",
        "EBLOG_ZIP": "/srv/site.zip",
        "EBLOG_ACCESS_LOG": "off",
        "EBLOG_MAX_SITE_BYTES": "512M",
        "EBLOG_MAX_REQUEST_LINE": "4K",
        "EBLOG_MAX_HEADER_LINE": "4096",
        "EBLOG_MAX_HEAD": "16k",
        "EBLOG_HEADER_TIMEOUT": "2.5",
        "EBLOG_KEEPALIVE_TIMEOUT": "5",
        "EBLOG_SEND_TIMEOUT": "7",
        "EBLOG_MAX_CONNECTIONS": "100",
        "WORKERS": "4",
        "EBLOG_REUSE_PORT": "off",
        "EBLOG_DRAIN": "0",
        "EBLOG_SHUTDOWN_TIMEOUT": "1.5",
        "EBLOG_CDN_MAX_AGE": "300",
    }
    settings = load([], environ)
    assert (settings.workers, settings.reuse_port, settings.drain, settings.shutdown_timeout) == (4, False, 0.0, 1.5)
    assert settings.cdn_max_age == 300
    assert (settings.port, settings.zip, settings.access_log) == (9000, Path("/srv/site.zip"), "off")
    assert settings.max_site_bytes == 512 * 1024 * 1024
    assert settings.limits == Limits(4096, 4096, 16384, 2.5, 5.0, 7.0, 100)


def test_a_flag_wins_over_the_environment() -> None:
    environ = {"PORT": "9000", "EBLOG_ACCESS_LOG": "on", "EBLOG_HEADER_TIMEOUT": "3"}
    settings = load(["--port", "9001", "--no-access-log", "--header-timeout", "4"], environ)
    assert (settings.port, settings.access_log, settings.limits.header_timeout) == (9001, "off", 4.0)
    assert load(["--access-log", "on"], {"EBLOG_ACCESS_LOG": "off"}).access_log == "combined"
    assert load(["--access-log"], {"EBLOG_ACCESS_LOG": "json"}).access_log == "combined"


@pytest.mark.parametrize(
    ("value", "style"),
    [("combined", "combined"), ("on", "combined"), ("1", "combined"), ("JSON", "json"), (" json ", "json"),
     ("off", "off"), ("0", "off"), ("no", "off")],
)  # fmt: skip
def test_access_log_styles(value: str, style: str) -> None:
    assert load([], {"EBLOG_ACCESS_LOG": value}).access_log == style
    assert load(["--access-log", value], {}).access_log == style


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"EBLOG_ACCESS_LOG": "offf"}, "EBLOG_ACCESS_LOG='offf' is not combined, json or off"),
        ({"PORT": "http"}, "PORT='http' is not a TCP port (1-65535)"),
        ({"PORT": "70000"}, "PORT='70000' is not a TCP port"),
        ({"EBLOG_MAX_SITE_BYTES": "lots"}, "EBLOG_MAX_SITE_BYTES='lots' is not a size in bytes"),
        ({"EBLOG_MAX_SITE_BYTES": "0"}, "EBLOG_MAX_SITE_BYTES='0' is not a size in bytes"),
        ({"EBLOG_MAX_HEAD": "1T"}, "EBLOG_MAX_HEAD='1T' is not a size in bytes"),
        ({"EBLOG_HEADER_TIMEOUT": "0"}, "EBLOG_HEADER_TIMEOUT='0' is not a number of seconds greater than 0"),
        ({"EBLOG_KEEPALIVE_TIMEOUT": "nan"}, "EBLOG_KEEPALIVE_TIMEOUT='nan' is not a number of seconds"),
        ({"EBLOG_SEND_TIMEOUT": "-1"}, "EBLOG_SEND_TIMEOUT='-1' is not a number of seconds"),
        ({"EBLOG_MAX_CONNECTIONS": "many"}, "EBLOG_MAX_CONNECTIONS='many' is not a positive whole number"),
        ({"EBLOG_DRAIN": "-1"}, "EBLOG_DRAIN='-1' is not a number of seconds (0 or more; 0: no drain)"),
        ({"EBLOG_DRAIN": "inf"}, "EBLOG_DRAIN='inf' is not a number of seconds (0 or more; 0: no drain)"),
        ({"EBLOG_SHUTDOWN_TIMEOUT": "0"}, "EBLOG_SHUTDOWN_TIMEOUT='0' is not a number of seconds greater than 0"),
        ({"EBLOG_REUSE_PORT": "maybe"}, "EBLOG_REUSE_PORT='maybe' is not on or off"),
        ({"EBLOG_CDN_MAX_AGE": "1.5"}, "EBLOG_CDN_MAX_AGE='1.5' is not a whole number of seconds (0 or more)"),
        ({"EBLOG_MAX_HEAD": "4K"}, "EBLOG_MAX_HEAD (4096) is smaller than one request line or header field (8192)"),
    ],
)
def test_a_bad_value_names_its_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load([], environ)
    assert str(caught.value).startswith(message)


def test_a_bad_flag_value_names_the_flag() -> None:
    with pytest.raises(SettingsError, match=r"^--max-connections='0' is not a positive whole number$"):
        load(["--max-connections", "0"], {})


def test_an_empty_variable_counts_as_unset() -> None:
    assert load([], {"PORT": "", "EBLOG_ACCESS_LOG": ""}) == Settings()


def run_server(args: list[str], cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "server", "--host", "127.0.0.1", *args]
    return subprocess.run(command, cwd=cwd, env=server_env(**env), capture_output=True, text=True, timeout=20)


def test_a_misspelt_switch_stops_the_server_with_one_line(site: SampleSite) -> None:
    """It used to mean "on", silently."""
    result = run_server(["--zip", str(site.zip)], EBLOG_ACCESS_LOG="offf")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "eblog-server: error: EBLOG_ACCESS_LOG='offf' is not combined, json or off (on: combined)\n"
    )


def test_a_zip_past_the_site_cap_stops_the_server_with_one_line(site: SampleSite) -> None:
    result = run_server(["--zip", str(site.zip)], EBLOG_MAX_SITE_BYTES="10K")
    assert result.returncode == 1
    assert result.stderr == (
        f"eblog-server: error: {site.zip}: the files inflate to more than 10240 bytes (EBLOG_MAX_SITE_BYTES)\n"
    )


def test_no_zip_at_all_says_how_to_build_one(tmp_path: Path) -> None:
    """A copy of the package without assets.zip, as in a fresh clone before ./scripts/serve ran."""
    shutil.copytree(ROOT / "server", tmp_path / "server", ignore=shutil.ignore_patterns("assets.zip", "__pycache__"))
    result = run_server([], cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""  # a missing input, not a usage mistake
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith(f"eblog-server: error: no site to serve: {tmp_path / 'server' / 'assets.zip'} ")
    assert "./scripts/serve" in lines[0] and "prezip -o server/assets.zip" in lines[0] and "--zip FILE" in lines[0]


def test_help_lists_every_flag_and_variable() -> None:
    result = subprocess.run([sys.executable, "-m", "server", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0
    words = result.stdout.replace("\n", " ")
    flags = ["--host", "--port", "--zip", "--access-log", "--no-access-log", "--max-site-bytes", "--max-request-line",
             "--max-header-line", "--max-head", "--header-timeout", "--keepalive-timeout", "--send-timeout",
             "--max-connections", "--workers", "--reuse-port", "--drain", "--shutdown-timeout",
             "--cdn-max-age"]  # fmt: skip
    variables = ["$PORT", "$EBLOG_ZIP", "$EBLOG_ACCESS_LOG", "$EBLOG_MAX_SITE_BYTES", "$EBLOG_MAX_REQUEST_LINE",
                 "$EBLOG_MAX_HEADER_LINE", "$EBLOG_MAX_HEAD", "$EBLOG_HEADER_TIMEOUT", "$EBLOG_KEEPALIVE_TIMEOUT",
                 "$EBLOG_SEND_TIMEOUT", "$EBLOG_MAX_CONNECTIONS", "$WORKERS", "$EBLOG_REUSE_PORT", "$EBLOG_DRAIN",
                 "$EBLOG_SHUTDOWN_TIMEOUT", "$EBLOG_CDN_MAX_AGE", "/healthz (readiness)",
                 "/livez (liveness)"]  # fmt: skip
    missing = [word for word in flags + variables if word not in words]
    assert not missing


def test_server_code_reads_the_environment_only_in_settings() -> None:
    readers = [path.name for path in (ROOT / "server").glob("*.py") if "os.environ" in path.read_text()]
    assert readers == ["settings.py"]
