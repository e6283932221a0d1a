"""README's Deploy section: what it names exists, and the probes are documented as they behave."""

import re

from tests.deploy.deploy_support import REPO


def deploy_section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("\n## Deploy\n")
    return readme[start : readme.index("\n## ", start + 1)]


def left_out_of_the_naive_build() -> set[str]:
    """What step 1's image lacks of the tree (its .dockerignore): this test runs in that build too."""
    rules = (REPO / "docker" / "steps" / "1-naive.Dockerfile.dockerignore").read_text().splitlines()
    return {rule for rule in rules if rule and not rule.startswith("#")}


def test_every_file_the_section_names_exists() -> None:
    named = set(re.findall(r"`?((?:bench|tests|deploy|scripts)/[\w/.-]+|fly\.toml|Dockerfile)`?", deploy_section()))
    assert {"bench/server_workers.py", "tests/deploy/test_rolling.py", "tests/deploy/test_cdn.py"} <= named
    absent = {rule for rule in left_out_of_the_naive_build() if not (REPO / rule).exists()}
    missing = [
        name
        for name in named
        if not (REPO / name.rstrip("/.")).exists() and not any(name.startswith(rule) for rule in absent)
    ]
    assert not missing


def test_the_probes_and_the_stop_are_documented() -> None:
    section = deploy_section()
    assert "- `/healthz`: readiness. 200 while serving; 503 from SIGTERM on" in section
    assert "- `/livez`: liveness. 200 as long as the process answers, draining included." in section
    for platform in (
        "### fly.io",
        "### Kubernetes",
        "### Any container host",
        "### Behind a CDN",
        "### What scales how",
    ):
        assert platform in section
