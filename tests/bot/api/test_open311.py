"""Open311 GeoReport v2: the spec's fields, filters, bounded pages, withheld details and redaction."""

from __future__ import annotations

from typing import Any

import httpx

from bot.settings import Settings
from tests.bot.api.conftest import GAS, report

FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
}


async def test_services_and_requests(
    app: Any, client: httpx.AsyncClient, settings: Settings, registry: dict[str, Any]
) -> None:
    services = (await client.get("/open311/v2/services.json")).json()
    assert {"hazard", "dispute", "service.repair"} <= {s["service_code"] for s in services}
    gas = await report(app, client, settings, group=registry["groups"][0], text=GAS + "，联系我13812345678")
    dispute = await report(
        app, client, settings, group=registry["groups"][1], text="楼上302天天半夜装修噪音太吵了，沟通多次没用"
    )
    items = (await client.get("/open311/v2/requests.json")).json()
    assert {i["service_request_id"] for i in items} == {str(gas.number), str(dispute.number)}
    assert all(set(i) >= FIELDS for i in items)
    one = (await client.get(f"/open311/v2/requests/{gas.number}.json")).json()[0]
    assert one["status"] == "open" and one["service_code"] == "hazard"
    assert "13812345678" not in one["description"] and "煤气" in one["description"]
    assert one["address"] and "1栋" in one["address"]
    private = (await client.get(f"/open311/v2/requests/{dispute.number}.json")).json()[0]
    assert (
        private["description"] is None and private["address"] is None and private["service_code"] == "dispute"
    )
    only = (await client.get("/open311/v2/requests.json", params={"service_code": "dispute"})).json()
    assert [i["service_request_id"] for i in only] == [str(dispute.number)]
    closed = (await client.get("/open311/v2/requests.json", params={"status": "closed"})).json()
    assert closed == []
    assert (await client.get("/open311/v2/requests.json", params={"status": "weird"})).status_code == 400
    assert (await client.get("/open311/v2/requests.json", params={"service_code": "x"})).status_code == 400
    assert (await client.get("/open311/v2/requests.json", params={"page_size": 1000})).status_code == 422
    assert (await client.get("/open311/v2/requests/999.json")).status_code == 404
    later = (
        await client.get("/open311/v2/requests.json", params={"start_date": "2999-01-01T00:00:00+08:00"})
    ).json()
    assert later == []
