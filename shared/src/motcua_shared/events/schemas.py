"""`motcua-schemas [DIR]`: writes the JSON Schema of every event to DIR (default docs/schemas/)."""

import json
import sys
from pathlib import Path

from .parsing import ALL_EVENT_TYPES


def write_schemas(directory: Path) -> list[Path]:
    """Write one `<event_type>.v<schema_version>.json` per event type; return the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for cls in ALL_EVENT_TYPES:
        event_type = cls.model_fields["event_type"].default
        schema = cls.model_json_schema(mode="validation")
        schema["$id"] = f"https://motcua.example/schemas/{event_type}.v1.json"
        schema["title"] = event_type
        path = directory / f"{event_type}.v1.json"
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas")
    for path in write_schemas(directory):
        print(path)
