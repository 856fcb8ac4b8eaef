"""The envelope every event on every topic carries (CONTRACT.md, "Envelope")."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Final, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION: Final = 1


class Payload(BaseModel):
    """Base of every event's `data`. Unknown fields are ignored so that adding an optional field
    to the contract does not break older consumers (a breaking change gets a new schema_version)."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Envelope(BaseModel):
    """Fields common to every event. Subclasses fix `event_type` and `data`."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    schema_version: Literal[1] = SCHEMA_VERSION
    # Business time, with a UTC offset: reports count by it, never by arrival time.
    occurred_at: AwareDatetime
    source: str = Field(min_length=1)
    # The person behind the event (the subject of the token that asked for it: an officer, an applicant,
    # an integrator); absent for a service's own decisions, such as the working-time clock's.
    actor: str | None = Field(None, min_length=1, max_length=200)

    if TYPE_CHECKING:
        # For the type checker only (no field at run time, so the schemas do not change): every
        # subclass fixes both as pydantic fields, a Literal `event_type` with its value as the default
        # (hence one here) and its own `data` payload.
        event_type: str = ""
        data: Payload

    def to_bytes(self) -> bytes:
        """The UTF-8 JSON value to publish."""
        return self.model_dump_json(exclude_none=True).encode()


def now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


def _decimal_to_json(value: Decimal) -> int | float:
    # Amounts in đồng and processing times are whole numbers almost always; keep them integers.
    return int(value) if value == value.to_integral_value() else float(value)


# A decimal read exactly and written as a JSON number (not a string, pydantic's default).
Number = Annotated[Decimal, PlainSerializer(_decimal_to_json, return_type=int | float, when_used="json")]
