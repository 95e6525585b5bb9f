"""Care households and pairings: CSV import and the pairing CRUD used by the API and the CLI.

CSV header: ``household_id,name,kind,group_id,birth_date,address,volunteer_id`` (UTF-8, UTF-8 with BOM or
GBK). ``kind`` is elderly_alone | disabled | left_behind_child (or 独居老人 | 残疾人 | 留守儿童);
``birth_date`` is YYYY-MM-DD (may be empty). The import is all-or-nothing, errors are ``file:line``,
and rows are upserts (importing twice changes nothing).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.care import CareError
from bot.services.roster import RosterError, decode
from models.care import DEFAULT_CADENCES, CareHousehold, CarePairing, HouseholdKind
from models.registry import Group, Person

COLUMNS = ("household_id", "name", "kind", "group_id", "birth_date", "address", "volunteer_id")
KIND_NAMES = {"独居老人": "elderly_alone", "残疾人": "disabled", "留守儿童": "left_behind_child"}


def parse_csv(name: str, data: bytes) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows and ``file:line`` errors."""
    try:
        text = decode(name, data)
    except RosterError as exc:
        return [], exc.errors
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [f"{name}:1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}"]
    rows, errors = [], []
    for n, raw in enumerate(reader, start=2):
        if not any(cell.strip() for cell in raw):
            continue
        cells = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header)}
        where = f"{name}:{n}"
        code = cells["household_id"].upper()
        kind = KIND_NAMES.get(cells["kind"], cells["kind"] or "elderly_alone")
        if not code or len(code) > 32:
            errors.append(f"{where}: household_id is empty or longer than 32")
            continue
        if kind not in {k.value for k in HouseholdKind}:
            errors.append(
                f"{where}: unknown kind {cells['kind']!r} (elderly_alone, disabled, left_behind_child)"
            )
            continue
        birth = None
        if cells["birth_date"]:
            try:
                birth = date.fromisoformat(cells["birth_date"])
            except ValueError:
                errors.append(f"{where}: birth_date {cells['birth_date']!r} is not YYYY-MM-DD")
                continue
        rows.append(
            {
                "line": where,
                "code": code,
                "name": cells["name"][:100],
                "kind": kind,
                "group_id": cells["group_id"] or None,
                "birth_date": birth,
                "address": cells["address"][:200],
                "volunteer_id": cells["volunteer_id"] or None,
            }
        )
    return rows, errors


async def import_households(*, session: AsyncSession, name: str, data: bytes) -> dict[str, int]:
    """Upsert households and their volunteer pairings from CSV; raises CareError listing every problem."""
    rows, errors = parse_csv(name, data)
    people = {
        p
        for p in await session.scalars(
            select(Person.person_id).where(
                Person.person_id.in_({r["volunteer_id"] for r in rows if r["volunteer_id"]})
            )
        )
    }
    groups = {
        g
        for g in await session.scalars(
            select(Group.group_id).where(Group.group_id.in_({r["group_id"] for r in rows if r["group_id"]}))
        )
    }
    for r in rows:
        if r["volunteer_id"] and r["volunteer_id"] not in people:
            errors.append(f"{r['line']}: volunteer {r['volunteer_id']} is not in the roster")
        if r["group_id"] and r["group_id"] not in groups:
            errors.append(f"{r['line']}: group {r['group_id']} is not in the registry")
    if errors:
        raise CareError("\n".join(errors), status=422, code="bad_csv")
    households = pairings = 0
    for r in rows:
        h = await session.get(CareHousehold, r["code"])
        if h is None:
            h = CareHousehold(code=r["code"])
            session.add(h)
            households += 1
        h.name, h.kind, h.group_id, h.birth_date, h.address, h.active = (
            r["name"],
            r["kind"],
            r["group_id"],
            r["birth_date"],
            r["address"],
            True,
        )
        if r["volunteer_id"]:
            await session.flush()
            _, made = await ensure_pairing(
                session=session, volunteer_id=r["volunteer_id"], household_code=r["code"]
            )
            pairings += int(made)
    await session.flush()
    return {"rows": len(rows), "households_added": households, "pairings_added": pairings}


async def ensure_pairing(
    *, session: AsyncSession, volunteer_id: str, household_code: str, cadences: list[str] | None = None
) -> tuple[CarePairing, bool]:
    """The pairing of a volunteer and a household, created (active) if missing. Returns (pairing, created)."""
    household = await session.get(CareHousehold, household_code)
    if household is None:
        raise CareError(f"no household {household_code}", status=404, code="not_found")
    if await session.get(Person, volunteer_id) is None:
        raise CareError(f"no person {volunteer_id} in the roster", status=404, code="not_found")
    wanted = list(cadences or DEFAULT_CADENCES)
    if household.birth_date is None and cadences is None:
        wanted = [c for c in wanted if c != "birthday"]
    pairing = await session.scalar(
        select(CarePairing).where(
            CarePairing.volunteer_id == volunteer_id, CarePairing.household_code == household_code
        )
    )
    if pairing is not None:
        changed = not pairing.active or (cadences is not None and pairing.cadences != wanted)
        pairing.active = True
        if cadences is not None:
            pairing.cadences = wanted
        return pairing, changed
    pairing = CarePairing(
        volunteer_id=volunteer_id, household_code=household_code, cadences=wanted, active=True
    )
    session.add(pairing)
    await session.flush()
    return pairing, True


async def list_pairings(*, session: AsyncSession, volunteer_id: str | None = None) -> list[CarePairing]:
    query = select(CarePairing).where(CarePairing.active.is_(True)).order_by(CarePairing.id)
    if volunteer_id:
        query = query.where(CarePairing.volunteer_id == volunteer_id)
    return list((await session.scalars(query)).all())


async def end_pairing(*, session: AsyncSession, pairing_id: int) -> CarePairing:
    """Deactivate a pairing (its visits stay for the statistics)."""
    pairing = await session.get(CarePairing, pairing_id)
    if pairing is None or not pairing.active:
        raise CareError(f"no active pairing {pairing_id}", status=404, code="not_found")
    pairing.active = False
    return pairing
