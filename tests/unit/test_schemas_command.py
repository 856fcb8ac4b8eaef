import json
from pathlib import Path

from motcua_shared.events import ALL_EVENT_TYPES
from motcua_shared.events.schemas import write_schemas


def test_a_json_schema_is_written_for_every_event_type(tmp_path: Path) -> None:
    written = write_schemas(tmp_path)
    assert len(written) == len(ALL_EVENT_TYPES)
    submitted = json.loads((tmp_path / "dossier.submitted.v1.json").read_text())
    assert submitted["title"] == "dossier.submitted"
    assert "dossier_id" in submitted["required"]
    channel = submitted["$defs"]["Channel"]["enum"]
    assert channel == ["direct", "online", "postal"]


def test_the_committed_schemas_are_current(tmp_path: Path) -> None:
    """docs/schemas/ is what integrators read; it must match the code."""
    committed = Path(__file__).parents[2] / "docs" / "schemas"
    write_schemas(tmp_path)
    for fresh in tmp_path.iterdir():
        assert (committed / fresh.name).read_text() == fresh.read_text(), (
            f"{fresh.name} is stale: run `uv run motcua-schemas`"
        )
