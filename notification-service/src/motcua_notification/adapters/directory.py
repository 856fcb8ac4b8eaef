"""What notification remembers in order to address people: each dossier's applicant and agency (from
`dossier.submitted`, as later events carry only the dossier id), agencies' names (from
`catalog.events`) and agencies' contacts, which the catalogue does not carry, so admins keep them here."""

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ..domain.context import DossierFacts


class Directory:
    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self._dossiers = db["dossiers"]
        self._agencies = db["agencies"]
        self._contacts = db["agency_contacts"]

    async def remember_dossier(self, facts: DossierFacts) -> None:
        await self._dossiers.update_one(
            {"_id": facts.dossier_id},
            {
                "$set": {
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
            },
            upsert=True,
        )

    async def move_dossier(self, dossier_id: str, agency_code: str) -> None:
        await self._dossiers.update_one({"_id": dossier_id}, {"$set": {"agency_code": agency_code}})

    async def dossier(self, dossier_id: str) -> DossierFacts | None:
        doc = await self._dossiers.find_one({"_id": dossier_id})
        if doc is None:
            return None
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

    async def agency_of_code(self, dossier_code: str) -> str | None:
        doc = await self._dossiers.find_one({"dossier_code": dossier_code})
        return doc["agency_code"] if doc else None

    async def remember_agency(self, agency_code: str, name: str) -> None:
        await self._agencies.update_one({"_id": agency_code}, {"$set": {"name": name}}, upsert=True)

    async def agency_name(self, agency_code: str) -> str | None:
        doc = await self._agencies.find_one({"_id": agency_code})
        return doc["name"] if doc else None

    async def set_contacts(self, agency_code: str, emails: list[str], language: str, by: str) -> dict[str, Any]:
        document = {"emails": emails, "language": language, "updated_at": datetime.now(UTC), "updated_by": by}
        await self._contacts.update_one({"_id": agency_code}, {"$set": document}, upsert=True)
        return {"agency_code": agency_code, **document}

    async def contacts(self, agency_code: str) -> dict[str, Any] | None:
        doc = await self._contacts.find_one({"_id": agency_code})
        if doc is None:
            return None
        return {
            "agency_code": doc["_id"],
            "emails": doc.get("emails", []),
            "language": doc.get("language", "vi"),
            "updated_at": doc.get("updated_at"),
            "updated_by": doc.get("updated_by"),
        }
