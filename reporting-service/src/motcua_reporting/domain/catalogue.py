"""The catalogue as reports see it: agencies (with parents) and procedures (level, fee)."""

from dataclasses import dataclass, field, replace
from datetime import date

OTHER_FIELD = ("other", "Khác")  # procedures published without a field, or not in the catalogue


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    admin_level: str | None = None
    parent_code: str | None = None


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    agency_code: str
    admin_level: str | None
    online_level: int | None
    fee: float | None = None
    retired: bool = False
    field_code: str | None = None  # lĩnh vực; None: reported under OTHER_FIELD
    field_name: str | None = None

    @property
    def online(self) -> bool:
        """Level 3 or 4: accepts online dossiers."""
        return (self.online_level or 0) >= 3

    @property
    def charges_fee(self) -> bool:
        return (self.fee or 0) > 0


@dataclass(frozen=True)
class Succession:
    """An agency dissolved (agency.superseded): its successor is responsible from `effective_date`."""

    successor_code: str
    effective_date: str  # YYYY-MM-DD, Asia/Ho_Chi_Minh


@dataclass
class Catalogue:
    agencies: dict[str, Agency] = field(default_factory=dict)
    procedures: dict[str, Procedure] = field(default_factory=dict)
    successions: dict[str, Succession] = field(default_factory=dict)  # by the dissolved agency's code

    def responsible(self, code: str, on: date) -> str:
        """The agency responsible on `on` for what `code` handled: `code`, or its successor (in turn)
        once dissolved by then. A report counts each dossier under the agency responsible at the
        period's end (docs/reporting.md, "Dissolved agencies")."""
        day = on.isoformat()
        for _ in range(10):  # a longer chain is a cycle in bad data
            succession = self.successions.get(code)
            if succession is None or succession.effective_date > day:
                break
            code = succession.successor_code
        return code

    def dissolved_by(self, code: str, on: date) -> bool:
        return self.responsible(code, on) != code

    def as_of(self, on: date) -> "Catalogue":
        """The catalogue as a report for a period ending on `on` reads it: the procedures of agencies
        dissolved by then are their successors', at the successor's level."""
        if not self.successions:
            return self
        procedures = {}
        for code, procedure in self.procedures.items():
            owner = self.responsible(procedure.agency_code, on)
            if owner != procedure.agency_code:
                successor = self.agencies.get(owner)
                procedure = replace(
                    procedure,
                    agency_code=owner,
                    admin_level=(
                        successor.admin_level if successor and successor.admin_level else procedure.admin_level
                    ),
                )
            procedures[code] = procedure
        return Catalogue(self.agencies, procedures, self.successions)

    def agency_name(self, code: str) -> str:
        agency = self.agencies.get(code)
        return agency.name if agency else code

    def admin_level_of(self, procedure: str, agency: str) -> str | None:
        """A dossier's administrative level: its procedure's, else its agency's (a procedure not yet
        in the catalogue, say)."""
        known = self.procedures.get(procedure)
        if known is not None and known.admin_level:
            return known.admin_level
        owner = self.agencies.get(agency)
        return owner.admin_level if owner else None

    def field_of(self, procedure: str) -> tuple[str, str]:
        """(code, name) of a dossier's field (lĩnh vực): its procedure's, else "other"."""
        known = self.procedures.get(procedure)
        if known is not None and known.field_code:
            return known.field_code, known.field_name or known.field_code
        return OTHER_FIELD

    def with_descendants(self, code: str) -> set[str]:
        """`code` and every agency below it, so that a district's communes roll up into it."""
        children: dict[str, list[str]] = {}
        for agency in self.agencies.values():
            if agency.parent_code:
                children.setdefault(agency.parent_code, []).append(agency.code)
        found, todo = {code}, [code]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def active_procedures(self) -> list[Procedure]:
        return [p for p in self.procedures.values() if not p.retired]


@dataclass(frozen=True)
class Scope:
    """Which dossiers a report covers: some agencies (None: all) and an administrative level (None: all)."""

    agencies: frozenset[str] | None = None
    admin_level: str | None = None

    def includes(self, agency: str, procedure: str, catalogue: Catalogue) -> bool:
        if self.agencies is not None and agency not in self.agencies:
            return False
        return self.admin_level is None or catalogue.admin_level_of(procedure, agency) == self.admin_level
