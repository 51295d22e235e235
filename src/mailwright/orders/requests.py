"""Orders as the core sees them, whichever API face they came through.

Each value carries the name of the field it came from in that face's request, so every
problem can be reported against the caller's own field names."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailwright.mailboxes.pictures import CheckedPicture

MAX_YEARS = 10

# The order in which an order request's parts are written (and their problems reported).
FIELD_ORDER = ("provider", "domains", "mailboxes", "first_name", "last_name", "email")
_PATH_PART = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")


def field_position(path: str) -> tuple[int, ...]:
    """Sort key of a field in an order request: "mailboxes[1].email" -> (2, 1, 5), from the rank of
    each name in FIELD_ORDER (unknown names last) and each array index."""
    return tuple(
        int(index) if index else (FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER))
        for name, index in _PATH_PART.findall(path)
    )


@dataclass(frozen=True)
class RequestedDomain:
    value: Any
    field: str  # e.g. "domains[0]"
    # Registration period (1-10 years) and web forwarding; faces without them leave the defaults.
    years: Any = 1
    forward_to: Any = None
    mask_forwarding: Any = False
    years_field: str = ""
    forward_to_field: str = ""
    mask_forwarding_field: str = ""


@dataclass(frozen=True)
class RequestedMailbox:
    email: Any
    first_name: Any
    last_name: Any
    email_field: str  # e.g. "mailboxes[0].email"
    first_name_field: str
    last_name_field: str
    # A profile picture: already checked (uploaded with the request), or an https URL that the
    # provisioning workflow fetches.
    picture: CheckedPicture | None = None
    picture_url: Any = None
    picture_field: str = ""

    @classmethod
    def at(cls, prefix: str, email: Any, first_name: Any, last_name: Any) -> RequestedMailbox:
        return cls(email, first_name, last_name, f"{prefix}.email", f"{prefix}.first_name", f"{prefix}.last_name")


@dataclass(frozen=True)
class DomainOrderRequest:
    provider: Any
    domains: list[RequestedDomain]
    mailboxes: list[RequestedMailbox]
    provider_field: str = "provider"
    domains_field: str = "domains"
    mailboxes_field: str = "mailboxes"


@dataclass(frozen=True)
class MailboxOrderRequest:
    mailboxes: list[RequestedMailbox]
    mailboxes_field: str = "mailboxes"


@dataclass(frozen=True)
class OrderOptions:
    """What the order records for later (renewals, exports); checked by the face that took them."""

    # None: not given (a new subscription then renews automatically; a running one keeps its setting).
    auto_renew: bool | None = None
    billing_cycle: str = "MONTHLY"
    # The reseller's end customer the order is for (None: the account itself); its domains and
    # mailboxes belong to that user too.
    user_id: str | None = None
    # e.g. {"microsoftOauthRoute": ..., "google": {"googleOauthRoute", "clientId", "appName"}}
    export_settings: dict[str, Any] | None = None
    # The sending platform (its id) each mailbox is exported to once it is live (exportTo).
    export_to: str | None = None


@dataclass
class PlannedDomain:
    name: str
    provider: str
    price_minor: int
    max_mailboxes: int
    field: str
    years: int = 1
    forward_to: str | None = None
    mask_forwarding: bool = False


@dataclass
class PlannedMailbox:
    email: str
    local_part: str
    domain_name: str
    first_name: str
    last_name: str
    provider: str
    price_minor: int
    field: str
    # Set when the mailbox goes on a domain the account already has.
    existing_domain_id: str | None = None
    picture_url: str | None = None


@dataclass
class OrderPlan:
    kind: str  # domains | mailboxes
    account_id: str
    currency: str
    domains: list[PlannedDomain] = field(default_factory=list)
    mailboxes: list[PlannedMailbox] = field(default_factory=list)
    options: OrderOptions = field(default_factory=OrderOptions)
    # The registrant contact of its domains when not the account's domain owner.
    registrant: dict[str, Any] | None = None
    # Uploaded pictures by mailbox address; stored beside the order, not in its JSON plan.
    pictures: dict[str, CheckedPicture] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "kind": self.kind,
                "account_id": self.account_id,
                "currency": self.currency,
                # Flat dataclasses of plain values: their __dict__ is what asdict() would copy out.
                "domains": [vars(d) for d in self.domains],
                "mailboxes": [vars(m) for m in self.mailboxes],
                "options": asdict(self.options),
                "registrant": self.registrant,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> OrderPlan:
        data = json.loads(text)
        return cls(
            data["kind"],
            data["account_id"],
            data["currency"],
            [PlannedDomain(**d) for d in data["domains"]],
            [PlannedMailbox(**m) for m in data["mailboxes"]],
            OrderOptions(**data.get("options", {})),
            data.get("registrant"),
        )

    @property
    def total_minor(self) -> int:
        return sum(d.price_minor for d in self.domains) + sum(m.price_minor for m in self.mailboxes)

    def describe(self) -> str:
        parts = []
        if self.domains:
            years = sorted({d.years for d in self.domains})
            period = "/".join(str(y) for y in years) + (" year" if years == [1] else " years")
            parts.append(f"{len(self.domains)} domain{'s' if len(self.domains) != 1 else ''} ({period})")
        if self.mailboxes:
            parts.append(f"{len(self.mailboxes)} mailbox{'es' if len(self.mailboxes) != 1 else ''} (first month)")
        return ", ".join(parts)
