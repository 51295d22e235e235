"""Countries and their states, for registrant addresses (bundled ISO 3166 data)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from mailwright import geo
from mailwright.api.reseller.deps import AccountDep
from mailwright.api.reseller.envelope import respond
from mailwright.api.reseller.errors import FieldProblem
from mailwright.api.reseller.schemas import Country, Envelope, ErrorEnvelope, State
from mailwright.errors import FieldIssue

router = APIRouter(prefix="/geo", tags=["Geo (ColdMailReseller-style)"])


@router.get("/countries", response_model=Envelope[list[Country]], summary="Countries (ISO 3166-1), by name")
def list_countries(account: AccountDep) -> JSONResponse:
    data = [{"code": c.code, "alpha3": c.alpha3, "name": c.name} for c in geo.countries()]
    return respond(data, "Countries fetched successfully")


@router.get(
    "/countries/{countryCode}/states",
    response_model=Envelope[list[State]],
    responses={404: {"model": ErrorEnvelope, "description": "Unknown country code"}},
    summary="States of a country (ISO 3166-2), by name; empty for countries without any",
)
def list_states(account: AccountDep, country_code: Annotated[str, Path(alias="countryCode", description="e.g. US")]) -> JSONResponse:
    country = geo.country(country_code)
    if country is None:
        raise FieldProblem(404, "Country not found", [FieldIssue("countryCode", "Valid format is a two-letter ISO 3166-1 country code, e.g. US")])
    data: list[dict[str, Any]] = [
        {"code": s.code, "shortCode": s.short_code, "name": s.name, "type": s.type, "parentCode": s.parent_code}
        for s in geo.states(country.code)
    ]
    return respond(data, "States fetched successfully")
