"""The Docker deployment, checked without a Docker engine: docker-compose.yml parsed with PyYAML, the
one Dockerfile read as text (with each service's build arguments), and both held against the
services' settings classes and docs/configuration.md, so that a setting added to a service but not to
the compose file or the documentation fails here rather than in someone's deployment."""

import importlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from motcua_shared.observability.tracing import TracingSettings
from motcua_shared.topics import Topics
from pydantic_settings import BaseSettings
from support.compose_file import COMPOSE, ROOT, environment, interpolate, referenced_variables

CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"

# Every service folder `<name>-service/src/motcua_<name>/config.py` is a compose service `<name>`.
SERVICES = sorted(p.parent.name.removeprefix("motcua_") for p in ROOT.glob("*-service/src/motcua_*/config.py"))
INFRASTRUCTURE = ("kafka", "kafka-init", "mongodb")
# Settings whose compose value is the container network's, not the native default.
CONTAINER_VALUES = {"kafka_bootstrap_servers", "mongodb_url", "http_host"}
# Read straight from the environment (not through a settings class) by the services that use the
# working calendar.
CALENDAR_USERS = ("intake", "processing")
CALENDAR_VARIABLE = "MOTCUA_CALENDAR_FILE"


def settings_class(service: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"motcua_{service}.config").Settings
    return cls


def prefix_of(service: str) -> str:
    return str(settings_class(service).model_config.get("env_prefix", ""))


def traced(service: str) -> bool:
    """Whether the service's entry point configures tracing (which reads TracingSettings with the
    service's prefix): itself, or through motcua_shared.service's `load_settings`/`run`."""
    main = (ROOT / f"{service}-service" / "src" / f"motcua_{service}" / "main.py").read_text(encoding="utf-8")
    return "configure_tracing(" in main or "from motcua_shared.service import" in main


def variables_of(cls: type[BaseSettings], prefix: str | None = None) -> dict[str, str]:
    """{environment variable: field name} as pydantic-settings reads them: the env prefix (the
    class's, or the one it is read with) and the field name, or the field's validation alias (which
    ignores the prefix)."""
    prefix = str(cls.model_config.get("env_prefix", "")) if prefix is None else prefix
    found = {}
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        found[str(alias).upper() if isinstance(alias, str) else (prefix + name).upper()] = name
    return found


def service_variables(service: str) -> set[str]:
    """Every environment variable the service reads."""
    found = set(variables_of(settings_class(service)))
    if traced(service):
        found |= set(variables_of(TracingSettings, prefix_of(service)))
    if service in CALENDAR_USERS:
        found.add(CALENDAR_VARIABLE)
    return found


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def compose(raw: dict[str, Any]) -> dict[str, Any]:
    """The compose file as `docker compose up` sees it with nothing set in the shell."""
    resolved: dict[str, Any] = interpolate(raw, {})
    return resolved


def test_the_services_are_discovered() -> None:
    assert SERVICES == ["intake", "notification", "processing", "reporting"]


def test_every_service_and_the_infrastructure_are_in_the_compose_file(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {*INFRASTRUCTURE, *SERVICES}


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_a_service_reads_is_set(compose: dict[str, Any], service: str) -> None:
    missing = service_variables(service) - set(environment(compose["services"][service]))
    assert not missing, f"{service} reads {sorted(missing)} but docker-compose.yml does not set them"


@pytest.mark.parametrize("service", SERVICES)
def test_every_variable_given_to_a_service_is_one_it_reads(compose: dict[str, Any], service: str) -> None:
    """A misspelt variable would be silently ignored (the settings ignore unknown names)."""
    assert set(environment(compose["services"][service])) <= service_variables(service)


@pytest.mark.parametrize("service", SERVICES)
def test_compose_defaults_are_the_native_defaults(
    compose: dict[str, Any], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unset in the shell, every setting gets the value it has natively (except the addresses of the
    broker and the store on the compose network), and every value parses."""
    cls = settings_class(service)
    for name in list(os.environ):
        if name.startswith("MOTCUA_"):
            monkeypatch.delenv(name)
    native = cls()
    for name, value in environment(compose["services"][service]).items():
        if value is not None:  # None: passed on from the shell only when set there
            monkeypatch.setenv(name, value)
    in_compose = cls()
    differing = {
        name
        for name in cls.model_fields
        if getattr(native, name) != getattr(in_compose, name)
        # An empty value where the native default is None means "none" too.
        and not (getattr(native, name) is None and not getattr(in_compose, name))
    }
    assert differing == CONTAINER_VALUES
    assert in_compose.kafka_bootstrap_servers == "kafka:9092"  # type: ignore[attr-defined]
    assert in_compose.mongodb_url == "mongodb://mongodb:27017"  # type: ignore[attr-defined]
    assert in_compose.http_host == "0.0.0.0"  # type: ignore[attr-defined]
    if traced(service):
        in_compose_tracing = TracingSettings(_env_prefix=prefix_of(service))  # type: ignore[call-arg]
        assert in_compose_tracing.tracing_exporter == "none"
        assert not in_compose_tracing.tracing_otlp_endpoint


def test_the_services_agree_on_tokens_and_topics(compose: dict[str, Any]) -> None:
    """One JWT secret, issuer, audience and topic prefix for all, or tokens and events would not cross."""
    for field in ("JWT_SECRET", "JWT_JWKS_URL", "JWT_ISSUER", "JWT_AUDIENCE", "TOPIC_PREFIX"):
        values = {environment(compose["services"][s])[f"MOTCUA_{s.upper()}_{field}"] for s in SERVICES}
        assert len(values) == 1, field
    for field in TracingSettings.model_fields:
        values = {
            environment(compose["services"][s])[f"MOTCUA_{s.upper()}_{field.upper()}"] for s in SERVICES if traced(s)
        }
        assert len(values) == 1, field
    prefixes = {environment(compose["services"][s])[f"MOTCUA_{s.upper()}_TOPIC_PREFIX"] for s in SERVICES}
    assert prefixes == {environment(compose["services"]["kafka-init"])["MOTCUA_TOPIC_PREFIX"]}


def documented(variable: str, doc: str) -> bool:
    """Listed by name, or, for a setting every service has, as `MOTCUA_<SVC>_NAME`."""
    if f"`{variable}`" in doc:
        return True
    from motcua_shared.settings import ServiceSettings

    everyones = set(ServiceSettings.model_fields) | set(TracingSettings.model_fields)
    for service in SERVICES:
        own = f"MOTCUA_{service.upper()}_"
        if variable.startswith(own) and variable.removeprefix(own).lower() in everyones:
            return f"`MOTCUA_<SVC>_{variable.removeprefix(own)}`" in doc
    return False


def test_every_setting_is_documented() -> None:
    doc = CONFIGURATION_DOC.read_text(encoding="utf-8")
    missing = sorted(v for service in SERVICES for v in service_variables(service) if not documented(v, doc))
    assert not missing, f"docs/configuration.md does not list {missing}"


def test_every_variable_the_compose_file_reads_is_documented() -> None:
    doc = CONFIGURATION_DOC.read_text(encoding="utf-8")
    used = referenced_variables(COMPOSE.read_text(encoding="utf-8"))
    missing = sorted(v for v in used if not documented(v, doc))
    assert not missing, f"docker-compose.yml reads {missing}, which docs/configuration.md does not list"
    assert "MOTCUA_PARTITIONS" in used


def host_ports(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host ip, host port, container port) of each published port."""
    found = []
    for entry in service.get("ports", []):
        if isinstance(entry, dict):
            found.append((entry.get("host_ip", "0.0.0.0"), str(entry["published"]), str(entry["target"])))
            continue
        parts = str(entry).split(":")
        if len(parts) == 3:
            found.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            found.append(("0.0.0.0", parts[0], parts[1]))
        else:
            found.append(("0.0.0.0", "", parts[0]))  # an ephemeral host port
    return found


def test_published_ports_are_unique_and_local(compose: dict[str, Any]) -> None:
    published = [(name, port) for name, svc in compose["services"].items() for port in host_ports(svc)]
    host_side = [p[1] for _, p in published]
    assert len(host_side) == len(set(host_side)), published
    assert all(ip == "127.0.0.1" for _, (ip, _, _) in published), "publish on the loopback address only"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_publishes_its_http_port(compose: dict[str, Any], service: str) -> None:
    svc = compose["services"][service]
    port = environment(svc)[f"MOTCUA_{service.upper()}_HTTP_PORT"]
    assert port == str(settings_class(service)().http_port)  # type: ignore[attr-defined]
    assert [(h, c) for _, h, c in host_ports(svc)] == [(port, port)]


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        image = svc["image"]
        repository, _, tag = image.rpartition(":")
        assert repository and tag and tag != "latest", f"{name}: {image} is not pinned"
        if name in SERVICES:  # the one Dockerfile, told which service it builds
            assert svc["build"] == {"context": ".", "dockerfile": "Dockerfile", "args": build_args(name)}
            assert repository == f"motcua/{name}-service"
        else:  # an official image: a full version, not a moving major or minor tag
            assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"{name}: {image} is not pinned to a release"
    assert compose["services"]["kafka"]["image"].startswith("apache/kafka:4.1.")
    assert compose["services"]["mongodb"]["image"].startswith("mongo:8.0.")


def test_start_order_is_gated_by_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("kafka", "mongodb"):
        assert services[name]["healthcheck"]["test"], name
    assert services["kafka-init"]["depends_on"] == {"kafka": {"condition": "service_healthy"}}
    for name in SERVICES:
        assert services[name]["depends_on"] == {
            "kafka": {"condition": "service_healthy"},
            "mongodb": {"condition": "service_healthy"},
            "kafka-init": {"condition": "service_completed_successfully"},
        }, name
        assert services[name]["restart"] == "unless-stopped"
    assert services["kafka-init"]["restart"] == "no"


def test_kafka_init_creates_every_contract_topic(compose: dict[str, Any], raw: dict[str, Any]) -> None:
    init = compose["services"]["kafka-init"]
    env = environment(init)
    assert env["MOTCUA_TOPICS"].split() == Topics("").all()
    assert env["MOTCUA_PARTITIONS"] == "3"
    assert (
        interpolate(raw, {"MOTCUA_PARTITIONS": "12"})["services"]["kafka-init"]["environment"]["MOTCUA_PARTITIONS"]
        == "12"
    )
    assert compose["services"]["kafka"]["environment"]["KAFKA_NUM_PARTITIONS"] == "3"
    script = " ".join(init["command"]) if isinstance(init["command"], list) else init["command"]
    assert "kafka-topics.sh" in script and "--create" in script and "--if-not-exists" in script
    assert '--partitions "$MOTCUA_PARTITIONS"' in script
    assert '"${MOTCUA_TOPIC_PREFIX}${topic}"' in script
    assert init["image"] == compose["services"]["kafka"]["image"]


def test_data_lives_in_named_volumes(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    assert declared == {"kafka-data", "mongodb-data"}
    mounts = {name: [v.split(":")[0] for v in svc.get("volumes", [])] for name, svc in compose["services"].items()}
    assert mounts["kafka"] == ["kafka-data"] and mounts["mongodb"] == ["mongodb-data"]
    kafka_dir = compose["services"]["kafka"]["environment"]["KAFKA_LOG_DIRS"]
    assert compose["services"]["kafka"]["volumes"] == [f"kafka-data:{kafka_dir}"]


# --- the Dockerfiles --------------------------------------------------------------------------


def build_args(service: str) -> dict[str, str]:
    """The build arguments that make the one Dockerfile the image of `service`."""
    return {
        "SERVICE": service,
        "SETTINGS_PREFIX": prefix_of(service),
        "HTTP_PORT": str(settings_class(service)().http_port),
    }  # type: ignore[attr-defined]


def instructions(path: Path, args: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped; `args` (build arguments)
    substituted where they are written `${NAME}`."""
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    for name, value in (args or {}).items():
        joined = joined.replace(f"${{{name}}}", value)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_is_multi_stage_locked_slim_and_unprivileged(service: str) -> None:
    steps = instructions(ROOT / "Dockerfile", build_args(service))
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    stages = [a for w, a in steps if w == "FROM"]
    assert len(stages) >= 2, "multi-stage: a builder and a runtime"
    for stage in stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], stage.split()[0])
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim(-\w+)?", image), image
    copies = [a for w, a in steps if w == "COPY"]
    assert any("uv.lock" in c for c in copies), "built from the workspace lock"
    syncs = [a for w, a in steps if w == "RUN" and "uv sync" in a]
    assert syncs and all("--frozen" in s and "--no-dev" in s and f"--package motcua-{service}" in s for s in syncs)
    runtime = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    assert any(w == "COPY" and "--from=builder" in a for w, a in runtime), "the runtime takes the built venv"
    users = [a for w, a in runtime if w == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), "runs as an unprivileged user"
    health = [a for w, a in runtime if w == "HEALTHCHECK"]
    assert health and "/health" in health[-1] and "urllib" in health[-1]
    script = f"motcua-{service}"
    assert tomllib_scripts(service).get(script), f"{script} is not an entry point of motcua-{service}"
    # The image's one command is the service's entry point under a name every image shares.
    assert [a for w, a in runtime if w == "CMD"][-1] == '["motcua-service"]'
    assert ("RUN", f'ln -s "{script}" /app/.venv/bin/motcua-service') in runtime
    assert f"MOTCUA_{service.upper()}_HTTP_HOST=0.0.0.0" in " ".join(a for w, a in runtime if w == "ENV")


def tomllib_scripts(service: str) -> dict[str, str]:
    import tomllib

    manifest = tomllib.loads((ROOT / f"{service}-service" / "pyproject.toml").read_text(encoding="utf-8"))
    scripts: dict[str, str] = manifest["project"].get("scripts", {})
    return scripts


def test_dockerignore_keeps_local_state_out_of_the_images() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".git", "**/.venv", ".stack", "**/__pycache__"):
        assert entry in ignored
