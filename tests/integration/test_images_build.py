"""The images' builder stage, replayed without Docker: the one Dockerfile's COPY and `uv sync` steps
run for each service (its build argument SERVICE substituted) in a scratch directory, in order, as
written, and the virtualenv they produce must hold the service's entry point, import its app, and hold
nothing else (no test tools, no other service). The lock must also be current, or `uv sync --frozen`
would build from a stale one."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name.removeprefix("motcua_") for p in ROOT.glob("*-service/src/motcua_*/config.py"))
IGNORED = shutil.ignore_patterns(".venv", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache")


def builder_steps(dockerfile: Path, service: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the first stage for `service`, continuation lines joined."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8")).replace("${SERVICE}", service)
    steps: list[tuple[str, str]] = []
    stages = 0
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages += 1
            if stages > 1:
                break
        steps.append((word.upper(), rest.strip()))
    return steps


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.skip("uv is not on PATH")
    return found


def test_the_lock_is_current() -> None:
    result = subprocess.run([uv(), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("service", SERVICES)
def test_the_builder_stage_makes_a_venv_of_the_service_alone(service: str, tmp_path: Path) -> None:
    workdir, venv = tmp_path / "src", tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    ran_sync = 0
    for instruction, arguments in builder_steps(ROOT / "Dockerfile", service):
        if instruction == "WORKDIR":
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction == "ENV":
            for name, value in re.findall(r"(\w+)=(\S+)", arguments):
                env[name] = value
        elif instruction == "COPY":  # Docker's rules: a directory's contents; a file into a `dir/`
            *sources, destination = shlex.split(arguments)
            target = workdir / destination
            for source in sources:
                origin = ROOT / source
                if origin.is_dir():
                    shutil.copytree(origin, target, dirs_exist_ok=True, ignore=IGNORED)
                elif destination.endswith("/"):
                    target.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, target / origin.name)
                else:
                    shutil.copy2(origin, target)
        elif instruction == "RUN" and arguments.startswith("uv sync"):
            # The image's paths become the scratch directory's; this interpreter stands in for the image's.
            # Compiling bytecode takes most of the time and tells nothing here.
            env.update(UV_PROJECT_ENVIRONMENT=str(venv), UV_PYTHON=sys.executable, UV_COMPILE_BYTECODE="0")
            result = subprocess.run(
                [uv(), *shlex.split(arguments)[1:]], cwd=workdir, env=env, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"{arguments}\n{result.stderr}"
            ran_sync += 1
    assert ran_sync == 2, "dependencies first, then our code"

    python = venv / "bin" / "python"
    assert (venv / "bin" / f"motcua-{service}").exists()
    probe = subprocess.run(
        [str(python), "-c", f"import motcua_{service}.main, motcua_shared.calendar as c; c.load_calendar()"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert probe.returncode == 0, probe.stderr
    installed = subprocess.run(
        [uv(), "pip", "list", "--python", str(python), "--format", "freeze"], capture_output=True, text=True, check=True
    ).stdout
    names = {line.split("==")[0].lower() for line in installed.splitlines()}
    assert not names & {"pytest", "ruff", "schemathesis", "testcontainers", "playwright"}, "no dev tools"
    others = {f"motcua-{s}" for s in SERVICES if s != service} | {"motcua-stack"}
    assert not names & others, "no other service"
    # Installed as wheels, not as links into the sources the runtime stage does not copy.
    for link in venv.glob("lib/python*/site-packages/*.pth"):
        assert str(workdir) not in link.read_text(), link.name
