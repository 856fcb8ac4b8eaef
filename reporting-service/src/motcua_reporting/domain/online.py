"""Online-service indicators (DOMAIN.md, "Service quality indicators"), pure. A rate without a base
(no procedures, no dossiers) is None: not assessed."""

from collections import Counter
from typing import Any

from .catalogue import Catalogue, Procedure, Scope
from .contributions import CounterKey, Kind
from .timeliness import rate


def _level_rates(procedures: list[Procedure]) -> dict[str, Any]:
    total = len(procedures)
    level4 = sum(1 for p in procedures if p.online_level == 4)
    level3 = sum(1 for p in procedures if p.online_level == 3)
    return {
        "procedures": total,
        "level_4": level4,
        "level_3": level3,
        "online_rate": rate(level3 + level4, total),
        "level_4_rate": rate(level4, total),
        "level_3_rate": rate(level3, total),
    }


def online_indicators(catalogue: Catalogue, rows: list[tuple[CounterKey, int]], scope: Scope) -> dict[str, Any]:
    """Level 3/4 rates (overall, per admin level, per agency), online services with dossiers arising,
    online dossier rate and online payment rate, for the procedures and the received counters in scope."""
    procedures = [
        p
        for p in catalogue.active_procedures()
        if (scope.agencies is None or p.agency_code in scope.agencies)
        and (scope.admin_level is None or p.admin_level == scope.admin_level)
    ]
    by_level: dict[str, list[Procedure]] = {}
    by_agency: dict[str, list[Procedure]] = {}
    for p in procedures:
        by_level.setdefault(p.admin_level or "?", []).append(p)
        by_agency.setdefault(p.agency_code, []).append(p)

    received: Counter[str] = Counter()  # per procedure
    online: Counter[str] = Counter()
    paid_online: Counter[str] = Counter()
    for key, n in rows:
        if not scope.includes(key.agency, key.procedure, catalogue):
            continue
        if key.kind == Kind.RECEIVED:
            received[key.procedure] += n
            if key.dim == "online":
                online[key.procedure] += n
        elif key.kind == Kind.PAID_ONLINE:
            paid_online[key.procedure] += n

    def is_online(code: str) -> bool:
        known = catalogue.procedures.get(code)
        return known is not None and known.online

    def charges_fee(code: str) -> bool:
        known = catalogue.procedures.get(code)
        return known is not None and known.charges_fee

    online_services = [p for p in procedures if p.online]
    arising = [p for p in online_services if online[p.code] > 0]
    online_dossiers = sum(n for code, n in online.items() if is_online(code))
    dossiers_of_online = sum(n for code, n in received.items() if is_online(code))
    fee_dossiers = sum(n for code, n in received.items() if charges_fee(code))
    paid = sum(n for code, n in paid_online.items() if charges_fee(code))
    return {
        "services": _level_rates(procedures),
        "by_admin_level": [{"admin_level": level, **_level_rates(ps)} for level, ps in sorted(by_level.items())],
        "by_agency": [
            {"agency_code": code, "agency_name": catalogue.agency_name(code), **_level_rates(ps)}
            for code, ps in sorted(by_agency.items())
        ],
        "services_with_online_dossiers": {
            "count": len(arising),
            "of": len(online_services),
            "percent": rate(len(arising), len(online_services)),
        },
        "online_dossiers": {
            "count": online_dossiers,
            "of": dossiers_of_online,
            "percent": rate(online_dossiers, dossiers_of_online),
        },
        "online_payments": {"count": paid, "of": fee_dossiers, "percent": rate(paid, fee_dossiers)},
    }
