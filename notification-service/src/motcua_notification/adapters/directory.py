"""What notification remembers in order to address people: each dossier's applicant and agency (from
`dossier.submitted`, as later events carry only the dossier id), agencies' names (from
`catalog.events`) and agencies' contacts, which the catalogue does not carry, so admins keep them here."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from motcua_shared.mongo import bulk_write_in_chunks, find_by_ids
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from ..domain.context import DossierFacts
from .bulk import insert_new


class Directory:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._dossiers = db["dossiers"]
        self._agencies = db["agencies"]
        self._contacts = db["agency_contacts"]

    async def remember_dossiers(self, known: Sequence[DossierFacts]) -> None:
        """Keep each dossier's facts (as of the last event of a batch that taught them): one insert,
        the cheap write on this store, and a `$set` over the few already there (a redelivered or
        repeated `dossier.submitted`), so the last word wins as with one upsert each."""
        documents = [_document(facts) for facts in known]
        there = await insert_new(self._dossiers, documents)
        await bulk_write_in_chunks(
            self._dossiers,
            [UpdateOne({"_id": d["_id"]}, {"$set": {k: v for k, v in d.items() if k != "_id"}}) for d in there],
        )

    async def move_dossiers(self, moves: Mapping[str, str]) -> None:
        """Set the agency of each dossier transferred (dossier id -> agency code); unknown ones stay unknown."""
        await bulk_write_in_chunks(
            self._dossiers, [UpdateOne({"_id": i}, {"$set": {"agency_code": code}}) for i, code in moves.items()]
        )

    async def dossier(self, dossier_id: str) -> DossierFacts | None:
        doc = await self._dossiers.find_one({"_id": dossier_id})
        return _facts(doc) if doc is not None else None

    async def dossiers(self, dossier_ids: Iterable[str]) -> dict[str, DossierFacts]:
        """The facts of those of `dossier_ids` that are known, by id (read by `_id`, in flight together)."""
        found = await find_by_ids(self._dossiers, list(dossier_ids))
        return {i: _facts(doc) for i, doc in found.items()}

    async def agency_of_code(self, dossier_code: str) -> str | None:
        doc = await self._dossiers.find_one({"dossier_code": dossier_code})
        return doc["agency_code"] if doc else None

    async def remember_agency(self, agency_code: str, name: str) -> None:
        await self._agencies.update_one({"_id": agency_code}, {"$set": {"name": name}}, upsert=True)

    async def agency_name(self, agency_code: str) -> str | None:
        doc = await self._agencies.find_one({"_id": agency_code})
        return doc["name"] if doc else None

    async def agency_names(self, agency_codes: Iterable[str]) -> dict[str, str]:
        return {code: doc["name"] for code, doc in (await find_by_ids(self._agencies, list(agency_codes))).items()}

    async def set_contacts(self, agency_code: str, emails: list[str], language: str, by: str) -> dict[str, Any]:
        document = {"emails": emails, "language": language, "updated_at": datetime.now(UTC), "updated_by": by}
        await self._contacts.update_one({"_id": agency_code}, {"$set": document}, upsert=True)
        return {"agency_code": agency_code, **document}

    async def contacts(self, agency_code: str) -> dict[str, Any] | None:
        doc = await self._contacts.find_one({"_id": agency_code})
        return _contacts(doc) if doc is not None else None

    async def contacts_of(self, agency_codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The contacts of those of `agency_codes` that have some, by agency code."""
        return {code: _contacts(doc) for code, doc in (await find_by_ids(self._contacts, list(agency_codes))).items()}


def _document(facts: DossierFacts) -> dict[str, Any]:
    return {
        "_id": facts.dossier_id,
        "dossier_code": facts.dossier_code,
        "agency_code": facts.agency_code,
        "procedure_code": facts.procedure_code,
        "applicant_name": facts.applicant_name,
        "email": facts.email,
        "phone": facts.phone,
        "preferred_language": facts.preferred_language,
        "zalo_consent": facts.zalo_consent,
        "receiving_agency_code": facts.receiving_agency_code,
    }


def _facts(doc: dict[str, Any]) -> DossierFacts:
    return DossierFacts(
        dossier_id=doc["_id"],
        dossier_code=doc["dossier_code"],
        agency_code=doc["agency_code"],
        procedure_code=doc["procedure_code"],
        applicant_name=doc["applicant_name"],
        email=doc.get("email"),
        phone=doc.get("phone"),
        preferred_language=doc.get("preferred_language"),
        zalo_consent=bool(doc.get("zalo_consent", False)),
        receiving_agency_code=doc.get("receiving_agency_code"),
    )


def _contacts(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "agency_code": doc["_id"],
        "emails": doc.get("emails", []),
        "language": doc.get("language", "vi"),
        "updated_at": doc.get("updated_at"),
        "updated_by": doc.get("updated_by"),
    }
