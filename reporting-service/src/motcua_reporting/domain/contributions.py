"""What one dossier adds to the pre-aggregated counters.

A counter is identified by (kind, business date, agency, procedure, dimension), e.g.
("received", "2020-01-06", "STNMT", "1.004227", "online"). Each dossier adds one to a small set of
counters -- its *contributions* -- derived from its view. When the view changes (a late result, a
replayed acceptance), the contributions change: the dossier leaves old counters and joins new ones.
Point-in-time figures (carried over, in progress) are counted the same way, as signed changes of a
dossier's open state (open_states.py): `counts` gives every counter and how much the dossier adds.
Catalogue attributes (admin level, online level, fee) are not in the keys: they are joined at
query time, so a catalogue change or a catalogue event that arrives late never leaves counters stale.
"""

import json
from collections import Counter
from dataclasses import dataclass

from .dossier import DossierView, instant
from .open_states import open_changes
from .timeliness import local_date

UNKNOWN = "?"


class Kind:
    RECEIVED = "received"  # dim: channel; date: received
    PAID_ONLINE = "paid_online"  # date: received (a subset of received, for the online payment rate)
    # Received at another agency's counter (issue 18 item 6): agency: the receiving counter; dim: the
    # competent agency (under which `received` counts it); date: received.
    RECEIVED_FOR_OTHERS = "received_for_others"
    RESOLVED = "resolved"  # dim: timeliness; date: result
    RETURNED_BY_POST = "returned_by_post"  # date: result (a subset of resolved)
    LATE_WITHOUT_APOLOGY = "late_without_apology"  # date: result (a subset of resolved late)
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    RATED = "rated"  # dim: rating; date: rating
    OPEN = "open"  # dim: open state; date: the day it was entered (+1) or left (-1); agency then
    # A result ready and not collected (issue 18): +1 the day processing announced it
    # (`dossier.result_uncollected`), -1 the day it was returned; kept with the open states' stores.
    UNCOLLECTED = "uncollected"


@dataclass(frozen=True, order=True)
class CounterKey:
    kind: str
    date: str
    agency: str
    procedure: str
    dim: str = "-"

    @property
    def id(self) -> str:
        """A unique, reversible document id (JSON, so that no code can collide with a separator)."""
        return json.dumps([self.kind, self.date, self.agency, self.procedure, self.dim], ensure_ascii=False)

    @classmethod
    def from_id(cls, value: str) -> "CounterKey":
        kind, day, agency, procedure, dim = json.loads(value)
        return cls(kind, day, agency, procedure, dim)

    def of_period(self, length: int) -> "CounterKey":
        """The same counter in the totals of its month (length 7: YYYY-MM) or year (4: YYYY)."""
        return CounterKey(self.kind, self.date[:length], self.agency, self.procedure, self.dim)


def _day(at: str) -> str:
    return local_date(instant(at)).isoformat()


def contributions(view: DossierView) -> set[CounterKey]:
    """The counters this dossier currently adds one to."""
    keys: set[CounterKey] = set()
    procedure = view.procedure or UNKNOWN
    if view.received_at is not None:
        day, agency = _day(view.received_at), view.agency or UNKNOWN
        keys.add(CounterKey(Kind.RECEIVED, day, agency, procedure, view.channel or UNKNOWN))
        if view.paid_online:
            keys.add(CounterKey(Kind.PAID_ONLINE, day, agency, procedure))
        if view.receiving_agency and view.receiving_agency != view.agency:
            keys.add(CounterKey(Kind.RECEIVED_FOR_OTHERS, day, view.receiving_agency, procedure, agency))
    if view.outcome == "resolved" and view.result_at and view.result_fact_at:
        day = _day(view.result_at)
        agency = view.agency_at(view.result_fact_at) or UNKNOWN
        timeliness = view.timeliness.value if view.timeliness else "unclassified"
        keys.add(CounterKey(Kind.RESOLVED, day, agency, procedure, timeliness))
        if view.delivery == "postal":
            keys.add(CounterKey(Kind.RETURNED_BY_POST, day, agency, procedure))
        if view.late_without_apology:
            keys.add(CounterKey(Kind.LATE_WITHOUT_APOLOGY, day, agency, procedure))
    elif view.outcome in ("refused", "withdrawn") and view.closed_at:
        agency = view.agency_at(view.closed_at) or UNKNOWN
        keys.add(CounterKey(view.outcome, _day(view.closed_at), agency, procedure))
    if view.rating and view.rated_at:
        agency = view.agency_at(view.rated_at) or UNKNOWN
        keys.add(CounterKey(Kind.RATED, _day(view.rated_at), agency, procedure, view.rating))
    return keys


def counts(view: DossierView) -> Counter[CounterKey]:
    """Every counter the dossier changes and by how much: one for each flow it is in, and the signed
    changes of its open state by day."""
    found: Counter[CounterKey] = Counter(contributions(view))
    procedure = view.procedure or UNKNOWN
    for (day, agency, state), n in open_changes(view).items():
        if n:
            found[CounterKey(Kind.OPEN, day, agency, procedure, state)] += n
    for (day, agency), n in uncollected_changes(view).items():
        if n:
            found[CounterKey(Kind.UNCOLLECTED, day, agency, procedure)] += n
    return found


def uncollected_changes(view: DossierView) -> Counter[tuple[str, str]]:
    """(day, agency) -> +1 when its result was announced not collected, -1 when it was returned."""
    changes: Counter[tuple[str, str]] = Counter()
    announced = next((f["at"] for f in view.facts if f["type"] == "result_uncollected"), None)
    if view.outcome != "resolved" or announced is None:
        return changes
    if view.returned_at is not None and view.returned_at <= announced:
        return changes  # returned before the announcement reached anyone: never uncollected
    agency = view.agency_at(announced) or UNKNOWN
    changes[(_day(announced), agency)] += 1
    if view.returned_at is not None:
        changes[(_day(view.returned_at), agency)] -= 1
    return changes
