"""No real secret is committed: the secrets in the repository are development defaults that say so,
and a service told it runs in production (MOTCUA_ENV=production) refuses to start with them."""

import importlib
import re
import subprocess
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.name.removeprefix("motcua_") for p in ROOT.glob("*-service/src/motcua_*/config.py"))
# A committed secret-like value must carry one of these words, so that nobody mistakes it for a real one
# (a value that calls itself a secret is a label: generated keys never do).
DEV_MARKERS = ("change-me", "test", "example", "dummy", "fake", "placeholder", "secret")

# Values that are secrets whatever they are assigned to (split so this file does not match itself).
CREDENTIAL_SHAPES = {
    "private key": re.compile("-----BEGIN [A-Z ]*PRIVATE" + " KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "signed JWT": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}"),
}
# A literal given to something named like a secret (an assignment, a YAML key, a SecretStr) or the
# default of a compose variable named like one.
_NAME = r"[\w-]*(?:secret|password|passwd|api_?key|private_?key|credential)[\w-]*"
SECRET_LITERALS = [
    re.compile(rf"(?i)\b{_NAME}[\"']?\s*[:=]\s*(?:SecretStr\()?[\"']([^\"'\s]{{6,}})[\"']"),
    re.compile(r"SecretStr\(\s*[\"']([^\"']+)[\"']"),
    re.compile(rf"(?i)\$\{{{_NAME}:?-([^}}]+)\}}"),
]


def committed_text_files() -> list[Path]:
    try:
        names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    files = []
    for name in names:
        path = ROOT / name
        if name == "uv.lock" or not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        if b"\0" in path.read_bytes()[:4096]:
            continue  # binary
        files.append(path)
    return files


def test_no_credential_is_committed() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{text[: m.start()].count(chr(10)) + 1}: {what}"
        for path in committed_text_files()
        for text in (path.read_text(encoding="utf-8", errors="replace"),)
        for what, shape in CREDENTIAL_SHAPES.items()
        for m in shape.finditer(text)
    ]
    assert not found, found


def test_every_committed_secret_value_says_it_is_not_real() -> None:
    suspicious = []
    scanned = 0
    for path in committed_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in SECRET_LITERALS:
            for match in pattern.finditer(text):
                value = match.group(1)
                if value.startswith(("$", "{", "<")) or ("." in value and value.replace(".", "").isidentifier()):
                    continue  # a reference (`settings.jwt_secret`, `${…}`), not a value
                scanned += 1
                if not any(marker in value.lower() for marker in DEV_MARKERS):
                    line = text[: match.start()].count("\n") + 1
                    suspicious.append(f"{path.relative_to(ROOT)}:{line}: {value!r}")
    assert not suspicious, f"secret-looking values without a development marker: {suspicious}"
    assert scanned >= 3, "the scan found none of the known development defaults: the patterns are broken"


def settings_class(service: str) -> type[BaseSettings]:
    cls: type[BaseSettings] = importlib.import_module(f"motcua_{service}.config").Settings
    return cls


def secret_fields(cls: type[BaseSettings]) -> dict[str, str]:
    """{field: its development default} for every secret with a default."""
    return {
        name: f.default.get_secret_value() for name, f in cls.model_fields.items() if isinstance(f.default, SecretStr)
    }


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("MOTCUA_"):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.mark.parametrize("service", SERVICES)
def test_secret_defaults_are_marked_for_development(service: str) -> None:
    defaults = secret_fields(settings_class(service))
    assert "jwt_secret" in defaults
    assert all("change-me" in value for value in defaults.values()), defaults


@pytest.mark.parametrize("service", SERVICES)
def test_development_defaults_work_outside_production(service: str, clean_env: pytest.MonkeyPatch) -> None:
    assert settings_class(service)().environment == "development"  # type: ignore[attr-defined]


@pytest.mark.parametrize("service", SERVICES)
def test_production_refuses_development_secrets(service: str, clean_env: pytest.MonkeyPatch) -> None:
    cls = settings_class(service)
    prefix = str(cls.model_config["env_prefix"])
    clean_env.setenv("MOTCUA_ENV", "production")
    with pytest.raises(ValidationError) as refused:
        cls()
    message = str(refused.value)
    for name in secret_fields(cls):
        assert f"{prefix}{name}".upper() in message

    # Every secret set: it starts, and the error above never echoed a value it was given.
    for name in secret_fields(cls):
        clean_env.setenv(f"{prefix}{name}".upper(), f"real-{name}-{'x' * 32}")
    assert cls().environment == "production"  # type: ignore[attr-defined]


def test_production_error_does_not_print_the_secrets_it_was_given(clean_env: pytest.MonkeyPatch) -> None:
    cls = settings_class("intake")
    clean_env.setenv("MOTCUA_ENV", "production")
    clean_env.setenv("MOTCUA_INTAKE_JWT_SECRET", "a-real-jwt-secret-nobody-may-read")
    with pytest.raises(ValidationError) as refused:
        cls()
    assert "MOTCUA_INTAKE_PHONE_HASH_SECRET" in str(refused.value)
    assert "a-real-jwt-secret-nobody-may-read" not in str(refused.value)


def test_production_with_a_jwks_url_needs_no_jwt_secret(clean_env: pytest.MonkeyPatch) -> None:
    cls = settings_class("processing")
    clean_env.setenv("MOTCUA_ENV", "production")
    clean_env.setenv("MOTCUA_PROCESSING_JWT_JWKS_URL", "https://sso.example.gov.vn/.well-known/jwks.json")
    assert cls().environment == "production"  # type: ignore[attr-defined]
