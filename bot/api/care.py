"""``/api/care``: pairings (list, create, delete), household CSV import, and care statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, UploadFile
from pydantic import BaseModel

from bot.api.audit import audit
from bot.api.deps import Admin, SessionDep, SettingsDep, Staff
from bot.services import care, care_roster
from models.care import PairingCreate, PairingRead

router = APIRouter(prefix="/api/care", tags=["care"])

MAX_UPLOAD = 2 * 1024 * 1024


class ImportResult(BaseModel):
    rows: int
    households_added: int
    pairings_added: int


class HouseholdCount(BaseModel):
    code: str
    name: str
    count: int


class CareStats(BaseModel):
    total: int
    by_household: list[HouseholdCount]
    by_team: dict[str, int]
    by_month: dict[str, int]
    by_kind: dict[str, int]
    overdue_reported: int


def _error(exc: care.CareError) -> HTTPException:
    return HTTPException(exc.status, detail={"code": exc.code, "message": exc.reply})


@router.get("/pairings", response_model=list[PairingRead])
async def list_pairings(
    session: SessionDep, principal: Staff, volunteer_id: Annotated[str | None, Query(max_length=64)] = None
) -> list[PairingRead]:
    """Active volunteer ↔ household pairings."""
    rows = await care_roster.list_pairings(session=session, volunteer_id=volunteer_id)
    return [PairingRead.model_validate(r) for r in rows]


@router.post("/pairings", response_model=PairingRead, status_code=201)
async def create_pairing(
    body: PairingCreate, request: Request, session: SessionDep, principal: Admin
) -> PairingRead:
    """Pair a volunteer with a household (idempotent: an existing pairing is re-activated)."""
    try:
        pairing, _ = await care_roster.ensure_pairing(
            session=session,
            volunteer_id=body.volunteer_id,
            household_code=body.household_code.upper(),
            cadences=[c.value for c in body.cadences],
        )
    except care.CareError as exc:
        raise _error(exc) from None
    result = PairingRead.model_validate(pairing)
    audit(
        request,
        session,
        principal,
        action="care.pair",
        target=f"pairing:{pairing.id}",
        after=body.model_dump(mode="json"),
    )
    await session.commit()
    return result


@router.delete("/pairings/{pairing_id}", response_model=PairingRead)
async def delete_pairing(
    pairing_id: int, request: Request, session: SessionDep, principal: Admin
) -> PairingRead:
    """End a pairing (its records stay for the statistics)."""
    try:
        pairing = await care_roster.end_pairing(session=session, pairing_id=pairing_id)
    except care.CareError as exc:
        raise _error(exc) from None
    result = PairingRead.model_validate(pairing)
    audit(request, session, principal, action="care.unpair", target=f"pairing:{pairing_id}")
    await session.commit()
    return result


@router.post("/households/import", response_model=ImportResult)
async def import_households(
    file: UploadFile, request: Request, session: SessionDep, principal: Admin
) -> ImportResult:
    """Import ``household_id,name,kind,group_id,birth_date,address,volunteer_id`` CSV (all-or-nothing)."""
    data = await file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise HTTPException(413, detail={"code": "too_large", "message": "the file is over 2 MiB"})
    try:
        result = await care_roster.import_households(
            session=session, name=file.filename or "upload.csv", data=data
        )
    except care.CareError as exc:
        raise _error(exc) from None
    audit(
        request,
        session,
        principal,
        action="care.import",
        target=f"file:{file.filename or 'upload.csv'}",
        after=result,
    )
    await session.commit()
    return ImportResult(**result)


@router.get("/stats", response_model=CareStats)
async def care_stats(
    session: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    since: Annotated[datetime | None, Query(description="ISO 8601 with an offset")] = None,
    until: Annotated[datetime | None, Query(description="ISO 8601 with an offset")] = None,
) -> CareStats:
    """Care work counted per household, team, month and kind, and how many periods were reported overdue."""
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise HTTPException(
                422, detail={"code": "naive_datetime", "message": "since/until need a UTC offset"}
            )
    return CareStats(**await care.stats(session=session, settings=settings, since=since, until=until))
