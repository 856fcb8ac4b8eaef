"""docker-compose.yml as Docker reads it: compose's variable interpolation over the parsed YAML
(shared by tests/unit/test_compose.py and tests/integration/test_compose_loader.py)."""

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


_REFERENCE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's variable interpolation (`${X:-default}`, `${X-default}`, `${X:?error}`, `${X}`, `$X`,
    `$$`) applied to every string in `value`, with `env` as the shell."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3) or ""
        current = env.get(name)
        if operator == ":-":
            return current if current else argument
        if operator == "-":
            return argument if current is None else current
        if operator in (":?", "?"):
            if not current:
                raise AssertionError(f"compose requires {name}: {argument}")
            return current
        return current or ""

    return _REFERENCE.sub(one, value)


def referenced_variables(text: str) -> set[str]:
    return {m.group(1) or m.group(4) for m in _REFERENCE.finditer(text) if m.group(0) != "$$"}


def load(env: dict[str, str] | None = None, path: Path = COMPOSE) -> dict[str, Any]:
    """The compose file as `docker compose` sees it with `env` as the shell (nothing set: the defaults)."""
    resolved: dict[str, Any] = interpolate(yaml.safe_load(path.read_text(encoding="utf-8")), env or {})
    return resolved


def environment(service: dict[str, Any]) -> dict[str, str | None]:
    """A service's environment; None for a name without a value, which compose passes on from the
    shell only when it is set there (and otherwise leaves unset)."""
    env = service.get("environment", {})
    if isinstance(env, list):  # the `- NAME=value` / `- NAME` form
        env = dict([*item.split("=", 1), None][:2] for item in env)
    return {k: None if v is None else str(v) for k, v in env.items()}
