"""A fake Kredietbank speaking the connector's API over a real socket (FORMAT.md).

On an aanmelding it starts paying the household's creditors month by month (the payments show
up as mutaties) and invoices the intake and budgetbeheer fees (R12) in UBL. Scenario knobs: the
rent of chosen households fails in their second month; for chosen households the bijstand stops
after some months, so ontzorgen ends early (EINDE, BIJSTAND_BEEINDIGD, R11); an invoice whose
totals do not add up; and ``fail_next`` requests answered with 503.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web

from connectors.kit.server import serve_app
from connectors.kredietbank.ublgen import Fee, render

INTAKE_FEE = Decimal("147.00")  # R12, one region
MONTHLY_FEE = Decimal("25.00")
GEMEENTE_OIN = "00000001001234567000"


@dataclass
class KredietbankSimulator:
    """In-memory Kredietbank; ``base_url`` is set once served."""

    token: str = "kredietbank-token"
    months: int = 3  # months of payments made right after an aanmelding
    fail_rent: set[str] = field(default_factory=set)  # huishoudenIds whose month-2 rent fails
    bijstand_stops: dict[str, int] = field(default_factory=dict)  # huishoudenId -> months
    broken_invoice_for: set[str] = field(default_factory=set)
    fail_next: int = 0
    base_url: str = ""
    aanmeldingen: dict[str, dict[str, Any]] = field(default_factory=dict)  # berichtId -> body
    afmeldingen: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    mutaties: list[dict[str, Any]] = field(default_factory=list)
    facturen: list[tuple[str, bytes]] = field(default_factory=list)
    ended: set[str] = field(default_factory=set)

    # -- behaviour --------------------------------------------------------------------------
    def register(self, body: dict[str, Any]) -> None:
        """Start ontzorgen for a household: payments, maybe an early end, and an invoice."""
        hh, bsn = body["huishoudenId"], body["bsn"]
        start = date.fromisoformat(body["ontzorgenStartdatum"]).replace(day=1)
        months = min(self.months, self.bijstand_stops.get(hh, self.months))
        for m in range(months):
            month = _add_months(start, m)
            for c in body["crediteuren"]:
                failed = c["soort"] == "HUUR" and m == 1 and hh in self.fail_rent
                self._mutatie({
                    "soort": "BETALING", "betalingId": f"{hh}-{month:%Y%m}-{c['soort']}",
                    "huishoudenId": hh, "bsn": bsn, "periode": f"{month:%Y-%m}",
                    "crediteurSoort": c["soort"], "crediteurIban": c["iban"],
                    "bedragCent": c["bedragCent"], "status": "MISLUKT" if failed else "BETAALD",
                    "betaaldatum": None if failed else str(month),
                    "redenMislukt": "onvoldoende saldo: bijstand niet ontvangen" if failed
                    else None})
        if hh in self.bijstand_stops:
            end = _add_months(start, months) - timedelta(days=1)
            self.end(hh, bsn, end, "BIJSTAND_BEEINDIGD", "bijstand beëindigd door de gemeente")
        self._invoice(body, start, months)

    def end(self, hh: str, bsn: str, einddatum: date, reden: str, toelichting: str | None
            ) -> None:
        """Report the end of ontzorgen once per household."""
        if hh in self.ended:
            return
        self.ended.add(hh)
        self._mutatie({"soort": "EINDE", "huishoudenId": hh, "bsn": bsn,
                       "einddatum": str(einddatum), "reden": reden, "toelichting": toelichting})

    def _mutatie(self, body: dict[str, Any]) -> None:
        self.mutaties.append({"volgnummer": len(self.mutaties) + 1, **body})

    def _invoice(self, body: dict[str, Any], start: date, months: int) -> None:
        hh = body["huishoudenId"]
        fees = [Fee("Intake financieel ontzorgen", INTAKE_FEE, start, start, hh, None)]
        fees += [Fee(f"Budgetbeheer {_add_months(start, m):%Y-%m}", MONTHLY_FEE,
                     _add_months(start, m), _add_months(start, m + 1) - timedelta(days=1), hh,
                     None) for m in range(months)]
        number = f"KB{len(self.facturen) + 1:06d}"
        broken = Decimal("1.00") if hh in self.broken_invoice_for else None
        xml = render(number, _add_months(start, months), f"ONTZORGEN-{body['gemeentecode']}",
                     GEMEENTE_OIN, fees, payable_override=broken)
        self.facturen.append((number, xml))

    def household_bsn(self, hh: str) -> str | None:
        """The BSN a household was registered with."""
        return next((a["bsn"] for a in self.aanmeldingen.values() if a["huishoudenId"] == hh),
                    None)

    # -- HTTP -------------------------------------------------------------------------------
    def app(self) -> web.Application:
        """The API: aanmeldingen, afmeldingen, mutaties, facturen."""
        app = web.Application(middlewares=[self._gate])
        app.router.add_post("/api/v1/aanmeldingen", self._aanmelding)
        app.router.add_post("/api/v1/afmeldingen", self._afmelding)
        app.router.add_get("/api/v1/mutaties", self._mutaties)
        app.router.add_get("/api/v1/facturen", self._facturen)
        app.router.add_get("/api/v1/facturen/{nummer}", self._factuur)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            status, response = 401, web.json_response({"detail": "unauthorised"}, status=401)
        elif self.fail_next > 0:
            self.fail_next -= 1
            status, response = 503, web.json_response({"detail": "onderhoud"}, status=503)
        else:
            response = await handler(request)
            status = response.status
        self.requests.append((request.method, request.path, status))
        return response

    async def _aanmelding(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not body.get("crediteuren") or not body.get("machtiging", {}).get("kenmerk"):
            return web.json_response({"detail": "machtiging en crediteuren verplicht"},
                                     status=422)
        if body["berichtId"] in self.aanmeldingen:
            return web.json_response({"status": "al ontvangen"}, status=200)
        self.aanmeldingen[body["berichtId"]] = body
        self.register(body)
        return web.json_response({"status": "aangemeld"}, status=201)

    async def _afmelding(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body["berichtId"] in self.afmeldingen:
            return web.json_response({"status": "al ontvangen"}, status=200)
        bsn = self.household_bsn(body["huishoudenId"])
        if bsn is None:
            return web.json_response({"detail": "huishouden onbekend"}, status=404)
        self.afmeldingen[body["berichtId"]] = body
        self.end(body["huishoudenId"], bsn, date.fromisoformat(body["einddatum"]),
                 body["reden"], body.get("toelichting"))
        return web.json_response({"status": "afgemeld"}, status=201)

    async def _mutaties(self, request: web.Request) -> web.Response:
        vanaf, aantal = int(request.query.get("vanaf", 0)), int(request.query.get("aantal", 100))
        page = [m for m in self.mutaties if m["volgnummer"] > vanaf][:aantal]
        last = page[-1]["volgnummer"] if page else vanaf
        return web.json_response({"mutaties": page, "volgende": last,
                                  "meer": last < len(self.mutaties)})

    async def _facturen(self, request: web.Request) -> web.Response:
        vanaf = int(request.query.get("vanaf", 0))
        items = [{"volgnummer": n, "factuurnummer": number,
                  "url": f"{self.base_url}/api/v1/facturen/{number}"}
                 for n, (number, _) in enumerate(self.facturen, 1) if n > vanaf]
        return web.json_response({"facturen": items, "volgende": vanaf + len(items)})

    async def _factuur(self, request: web.Request) -> web.Response:
        for number, xml in self.facturen:
            if number == request.match_info["nummer"]:
                return web.Response(body=xml, content_type="application/xml")
        return web.json_response({"detail": "onbekend"}, status=404)


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


@contextlib.asynccontextmanager
async def serve(sim: KredietbankSimulator, port: int = 0) -> AsyncIterator[str]:
    """Serve ``sim`` on 127.0.0.1; yields the API base URL."""
    async with serve_app(sim.app(), port=port) as url:
        sim.base_url = url
        yield url + "/api/v1"
