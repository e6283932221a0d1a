"""deploy/k8s: valid for the two newest Kubernetes minor releases, and held to the server's own settings."""

import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from server.settings import Settings, load
from tests.deploy.deploy_support import REPO

K8S = REPO / "deploy" / "k8s"
RESOURCES = ["deployment.yaml", "service.yaml", "pdb.yaml", "hpa.yaml"]
OPTIONAL = ["ingress.yaml"]

kubernetes_validate = pytest.importorskip("kubernetes_validate.utils", reason="the `deploy` dependency group")


def newest_minor_releases() -> list[str]:
    """The newest two minor releases kubernetes-validate has schemas for: the current one and the one before."""
    minors = sorted({tuple(map(int, v.split(".")[:2])) for v in kubernetes_validate.all_versions()})
    latest = minors[-1]
    previous = (latest[0], latest[1] - 1)
    assert previous in minors, f"kubernetes-validate ships no schemas for {previous}"
    return [f"{major}.{minor}.0" for major, minor in (previous, latest)]


def manifest(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((K8S / name).read_text())
    return loaded


@pytest.mark.parametrize("version", newest_minor_releases())
def test_every_manifest_is_valid_for_the_kubernetes_release(version: str) -> None:
    command = [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, *RESOURCES, *OPTIONAL]
    result = subprocess.run(command, cwd=K8S, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.findall(r"passed for resource (\S+) against version", result.stdout + result.stderr)
    assert len(passed) == len(RESOURCES) + len(OPTIONAL)


def test_kustomization_lists_every_resource_but_the_optional_ingress() -> None:
    kustomization = manifest("kustomization.yaml")
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"] == RESOURCES
    on_disk = sorted(path.name for path in K8S.glob("*.yaml"))
    assert on_disk == sorted([*RESOURCES, *OPTIONAL, "kustomization.yaml"])
    assert [image["name"] for image in kustomization["images"]] == ["eblog"]


def container() -> dict[str, Any]:
    (only,) = manifest("deployment.yaml")["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = only
    return result


def server_settings() -> Settings:
    """What the server reads from the container's environment, through its own settings loader."""
    return load([], {item["name"]: item["value"] for item in container().get("env", [])})


def test_the_stop_sequence_fits_the_grace_period() -> None:
    pod = manifest("deployment.yaml")["spec"]["template"]["spec"]
    settings = server_settings()
    pre_stop = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    # The preStop sleep is as long as the server's own drain, and both are the server's default.
    assert pre_stop == settings.drain == Settings.drain == 5
    assert settings.shutdown_timeout == Settings.shutdown_timeout
    # preStop, then SIGTERM: the drain, then the requests in flight, with time to spare before SIGKILL.
    needed = pre_stop + settings.drain + settings.shutdown_timeout
    assert needed < pod["terminationGracePeriodSeconds"] <= needed + 5


def test_probes_ask_readiness_and_liveness_of_the_serving_port() -> None:
    spec = container()
    (port,) = spec["ports"]
    assert port == {"name": "http", "containerPort": server_settings().port}
    assert server_settings().port == 8080
    assert spec["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    # Liveness must stay 200 while the pod drains, or the kubelet would restart a stopping pod.
    assert spec["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert spec["startupProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert server_settings().workers == 1


def test_the_pod_runs_locked_down() -> None:
    pod = manifest("deployment.yaml")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    user = re.search(r"^USER (\d+):(\d+)$", (REPO / "Dockerfile").read_text(), re.M)
    assert user is not None
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == tuple(map(int, user.groups()))
    security = container()["securityContext"]
    assert security == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    resources = container()["resources"]
    assert set(resources) == {"requests", "limits"}
    assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_service_pdb_hpa_and_ingress_point_at_the_deployment() -> None:
    deployment = manifest("deployment.yaml")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    service = manifest("service.yaml")
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert manifest("pdb.yaml")["spec"]["selector"]["matchLabels"] == labels
    assert manifest("pdb.yaml")["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    target = manifest("hpa.yaml")["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert manifest("hpa.yaml")["spec"]["minReplicas"] == deployment["spec"]["replicas"]
    (rule,) = manifest("ingress.yaml")["spec"]["rules"]
    backend = rule["http"]["paths"][0]["backend"]["service"]
    assert (backend["name"], backend["port"]["name"]) == (
        service["metadata"]["name"],
        service["spec"]["ports"][0]["name"],
    )
    # A rolling update adds a pod before it takes one away.
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
