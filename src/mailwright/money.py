"""Money: integer minor units with an ISO 4217 currency. Never floats."""

from __future__ import annotations

import re
from dataclasses import dataclass

CURRENCIES = ("USD", "EUR")
# [0-9], not \d: \d also matches other scripts' digits ("١٢"), which int() then reads as 12.
_DECIMAL = re.compile(r"(?P<sign>-?)(?P<units>[0-9]{1,12})(?:\.(?P<cents>[0-9]{1,2}))?")


class InvalidAmount(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if self.currency not in CURRENCIES:
            raise InvalidAmount(f"unsupported currency {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.minor - other.minor, self.currency)

    def __mul__(self, times: int) -> Money:
        return Money(self.minor * times, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidAmount(f"cannot mix {self.currency} and {other.currency}")

    @property
    def decimal(self) -> str:
        """"13.00", "-4.50": the string form both API families use."""
        return format_minor(self.minor)

    def as_price(self) -> dict[str, str]:
        return {"amount": self.decimal, "currency": self.currency}

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> Money:
        return cls(parse_minor(text), currency)


def parse_minor(text: str) -> int:
    """"12", "12.5", "12.50" -> 1250. Anything else raises InvalidAmount."""
    match = _DECIMAL.fullmatch(str(text).strip())
    if not match:
        raise InvalidAmount(f"not an amount: {text!r}")
    minor = int(match["units"]) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    return -minor if match["sign"] else minor


def format_minor(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 100)
    return f"{sign}{units}.{cents:02d}"
