"""Countries (ISO 3166-1) and their subdivisions (ISO 3166-2), from the bundled pycountry data:
nothing is fetched at run time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pycountry

from mailwright import validation as check
from mailwright.errors import FieldIssues


@dataclass(frozen=True)
class Country:
    code: str  # alpha-2
    alpha3: str
    name: str


@dataclass(frozen=True)
class State:
    code: str  # ISO 3166-2, e.g. US-CA
    name: str
    type: str
    parent_code: str | None

    @property
    def short_code(self) -> str:
        """The part after the country: "CA" of "US-CA", as postal addresses write it."""
        return self.code.split("-", 1)[1]


@lru_cache(maxsize=1)
def countries() -> tuple[Country, ...]:
    rows = (Country(c.alpha_2, c.alpha_3, getattr(c, "common_name", None) or c.name) for c in pycountry.countries)
    return tuple(sorted(rows, key=lambda c: c.name))


def country(code: str) -> Country | None:
    wanted = code.strip().upper()
    return next((c for c in countries() if c.code == wanted), None)


@lru_cache(maxsize=300)
def states(country_code: str) -> tuple[State, ...]:
    """The country's subdivisions sorted by name; empty for countries without any."""
    rows = pycountry.subdivisions.get(country_code=country_code.upper()) or []
    return tuple(sorted((State(s.code, s.name, s.type, s.parent_code) for s in rows), key=lambda s: s.name))


def country_code(issues: FieldIssues, field: str, value: Any, *, required: bool = True) -> str | None:
    code = check.text(issues, field, value, max_length=2, required=required)
    if code is None:
        return None
    if country(code) is None:
        issues.add(field, "Valid format is a two-letter ISO 3166-1 country code, e.g. US", value)
        return None
    return code.upper()


def state_of(issues: FieldIssues, field: str, value: Any, country_code: str | None, *, required: bool = True) -> str | None:
    """A state of the country, given as its code ("CA" or "US-CA") or its name; stored as written
    in postal addresses (the short code). Countries without subdivisions take any text."""
    text = check.text(issues, field, value, max_length=100, required=required)
    if text is None or country_code is None:
        return text
    known = states(country_code)
    if not known:
        return text
    wanted = text.upper()
    for state in known:
        if wanted in (state.code, state.short_code) or wanted == state.name.upper():
            return state.short_code
    example = known[0]
    issues.add(field, f"Must be a state of {country_code}, by its code or name (e.g. {example.short_code}, {example.name})", value)
    return None
