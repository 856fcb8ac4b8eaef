"""docker-compose.yml loaded by the compose specification's own code, as `docker compose` loads it:
`docker compose config` where the plugin is installed, else compose-go (the library docker compose is
built on) through the small Go program in tests/support/composecheck, built with the Go toolchain the
native stack needs anyway. Skipped where neither is there. No Docker engine is needed."""

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from motcua_shared.topics import Topics
from support.compose_file import COMPOSE, ROOT, environment, load

SERVICES = sorted(p.parent.name.removeprefix("motcua_") for p in ROOT.glob("*-service/src/motcua_*/config.py"))
CHECKER = ROOT / "tests" / "support" / "composecheck"


def compose_loader() -> list[str] | None:
    """A command that loads a compose file as Docker does and prints the resolved model: `docker
    compose config` where the plugin is installed, else the small Go program in
    tests/support/composecheck (compose-go, the library docker compose is built on), built once per
    version into the temporary directory. None when neither is possible."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose", "-f"]  # + the file, then `config` (see resolved_by_docker)
    go = shutil.which("go")
    if go is None:
        return None
    digest = hashlib.sha256(b"".join((CHECKER / n).read_bytes() for n in ("go.mod", "go.sum", "main.go")))
    binary = Path(tempfile.gettempdir()) / f"motcua-composecheck-{digest.hexdigest()[:12]}"
    if not binary.exists():
        built = subprocess.run(
            [go, "build", "-o", str(binary), "."],
            cwd=CHECKER,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "GOTOOLCHAIN": "local"},
        )
        assert built.returncode == 0, built.stderr
    return [str(binary)]


def resolved_by_docker(compose_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    loader = compose_loader()
    if loader is None:
        pytest.skip("neither the docker compose plugin nor Go is installed")
    command = [*loader, str(compose_file), "config"] if loader[0] == "docker" else [*loader, str(compose_file)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=compose_file.parent, env={**clean, **env}
    )


def test_docker_compose_accepts_the_file_as_we_read_it() -> None:
    """The compose specification's own loader (schema validation, interpolation, merge keys) accepts
    the file and resolves it as tests/unit/test_compose.py's parser does."""
    compose = load()
    result = resolved_by_docker(COMPOSE, {})
    assert result.returncode == 0, result.stderr
    theirs = yaml.safe_load(result.stdout)
    assert set(theirs["services"]) == set(compose["services"])
    for name in SERVICES:
        assert theirs["services"][name]["environment"] == environment(compose["services"][name]), name
        conditions = {k: v["condition"] for k, v in theirs["services"][name]["depends_on"].items()}
        assert conditions == {k: v["condition"] for k, v in compose["services"][name]["depends_on"].items()}
    init = theirs["services"]["kafka-init"]
    assert init["environment"]["MOTCUA_TOPICS"].split() == Topics("").all()
    assert '--partitions "$MOTCUA_PARTITIONS"' in " ".join(init["command"])

    six = yaml.safe_load(resolved_by_docker(COMPOSE, {"MOTCUA_PARTITIONS": "6"}).stdout)["services"]
    assert six["kafka-init"]["environment"]["MOTCUA_PARTITIONS"] == "6"
    assert six["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == "6"


def test_docker_compose_refuses_a_broken_file(tmp_path: Path) -> None:
    """The loader above is not a rubber stamp: an unknown key fails the schema."""
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        COMPOSE.read_text(encoding="utf-8").replace(
            '    restart: "no"\n', '    restart: "no"\n    restart_policy_typo: always\n'
        ),
        encoding="utf-8",
    )
    assert "restart_policy_typo" in broken.read_text(encoding="utf-8")
    result = resolved_by_docker(broken, {})
    assert result.returncode != 0
    assert "restart_policy_typo" in result.stderr
