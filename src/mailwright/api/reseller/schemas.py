"""Request and response shapes of this face, for the OpenAPI document. Requests are parsed by hand
(so every problem is reported at once, by field); these models describe them."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from mailwright.api import openapi
from mailwright.api.deps import JSON
from mailwright.domains.names import LOCAL_PART_RULE

T = TypeVar("T")


class Envelope(BaseModel, Generic[T]):
    status: int = Field(description="The HTTP status code, repeated")
    message: str
    data: T


class FieldError(BaseModel):
    field: str = Field(description="The offending field: a body field (`domains[0].years`), query parameter (`userId`) or header")
    message: str


class ErrorData(BaseModel):
    code: str = Field(description="Machine-readable: invalid_fields, not_found, unauthorized, insufficient_funds, ...")
    errors: list[FieldError] = Field(description="Every offending field; empty when the error is not about a field")
    requestId: str | None = Field(description="The request's id, as in the X-Request-Id response header and the server's logs")


class ErrorEnvelope(BaseModel):
    status: int
    message: str
    data: ErrorData


class ResellerPagination(BaseModel):
    totalSearchedCount: int = Field(description="Items matching the filters, on all pages")
    currentPage: int
    nextPage: int | None = Field(description="null on the last page")
    totalPages: int = Field(description="0 when nothing matches")


# ------------------------------------------------------------------ users


class UserRequest(BaseModel):
    """A user, replaced as a whole by PUT. Only email, firstName and lastName are required."""

    email: str
    firstName: str = Field(max_length=100)
    lastName: str = Field(max_length=100)
    companyName: str | None = Field(None, max_length=200)
    phone: str | None = Field(None, description="+1.6505550100")
    address: str | None = Field(None, max_length=300)
    city: str | None = Field(None, max_length=100)
    state: str | None = Field(None, description="A state of `country`: its code (CA or US-CA) or name; see /geo")
    country: str | None = Field(None, description="ISO 3166-1 alpha-2, e.g. US")
    zipCode: str | None = Field(None, max_length=20)


class User(BaseModel):
    userId: str
    email: str
    firstName: str
    lastName: str
    companyName: str | None
    phone: str | None
    address: str | None
    city: str | None
    state: str | None
    country: str | None
    zipCode: str | None
    createdAt: str
    updatedAt: str


class UserList(BaseModel):
    users: list[User]
    pagination: ResellerPagination


# ------------------------------------------------------------------ geo and wallet


class Country(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-2")
    alpha3: str
    name: str


class State(BaseModel):
    code: str = Field(description="ISO 3166-2, e.g. US-CA")
    shortCode: str = Field(description="As written in addresses, e.g. CA")
    name: str
    type: str = Field(description="State, Province, County ...")
    parentCode: str | None


class Wallet(BaseModel):
    balance: str = Field(description='Decimal string, e.g. "120.50"')
    currency: str


# ------------------------------------------------------------------ domains


class ResellerDomain(BaseModel):
    domainId: str
    domainName: str
    userId: str | None
    status: str = Field(description="ORDERED, REGISTERED, DNS_CONFIGURED, READY, FAILED, RELEASED")
    failureReason: str | None
    serviceProvider: str
    years: int
    autoRenew: bool
    expireOn: str | None
    forwardTo: str | None
    maskForwarding: bool
    emailForwardTo: str | None
    mailboxCount: int
    createdAt: str


class ResellerDomainList(BaseModel):
    domains: list[ResellerDomain]
    pagination: ResellerPagination


class Availability(BaseModel):
    domain: str
    available: bool
    price: str | None = Field(description='Yearly price, e.g. "12.00"; null when not sold')
    currency: str | None


class SuggestDomainsRequest(BaseModel):
    keyword: str = Field(description="A phrase or a name, e.g. 'pied piper' or piedpiper.io")


class CheckDomainRequest(BaseModel):
    domain: str


class DomainForwardingRequest(BaseModel):
    userId: str = Field(description="Also accepted as ?userId=")
    domainId: str
    forwardTo: str | None = Field(description="https URL; empty or null removes the forwarding")
    maskForwarding: bool = False


class EmailForwardingRequest(BaseModel):
    userId: str = Field(description="Also accepted as ?userId=")
    domainId: str
    forwardTo: str | None = Field(description="An email address; empty or null removes the forwarding")


class DnsRecordRequest(BaseModel):
    userId: str = Field(description="Also accepted as ?userId=")
    domainId: str
    recordId: str | None = Field(None, description="PUT only: the record replaced")
    type: str = Field(description="A, AAAA, CNAME, MX, TXT, SRV, CAA or NS")
    name: str = Field("@", description="Relative (www, _dmarc, @ for the apex) or absolute inside the zone")
    content: str = Field(description="An address, a host name, the TXT text (unquoted), SRV 'weight port target', CAA '0 issue \"ca.example\"'")
    ttl: int = Field(3600, ge=60, le=86400)
    priority: int | None = Field(None, ge=0, le=65535, description="MX and SRV only, required there")
    force: bool = Field(False, description="Allow changing a record Mailwright manages for sending")


class DeleteDnsRecordRequest(BaseModel):
    userId: str | None = None
    domainId: str | None = None
    recordId: str | None = None
    force: bool | None = None


class DnsRecordBody(BaseModel):
    recordId: str
    type: str
    name: str
    fqdn: str
    content: str
    ttl: int
    priority: int | None
    managed: bool = Field(description="true for the records Mailwright publishes for sending")
    purpose: str = Field(description="mx, spf, dkim, dmarc, tracking, extra, verification (managed) or custom")


class DomainListRequest(BaseModel):
    userId: str = Field(description="Also accepted as ?userId=")
    domains: list[str] = Field(description="Domain names or domainIds of the user's domains")


class DomainAutoRenewRequest(DomainListRequest):
    autoRenew: bool


class RenewalPrice(BaseModel):
    domainName: str
    domainId: str
    years: int = Field(description="A renewal adds one year")
    renewalPrice: str | None = Field(description='e.g. "14.50"; null when it cannot be renewed at a price (the registrar quotes none, or the price book has none covering its cost)')
    currency: str
    expireOn: str | None
    autoRenew: bool
    registrationStatus: str = Field(description="PENDING, ACTIVE, EXPIRED (in grace, renewable), RELEASED, FAILED")


class RenewedDomainPrice(RenewalPrice):
    actionId: str = Field(description="The recorded renewal, the same for every domain of the request (GET /domains/renew/{actionId})")


# ------------------------------------------------------------------ mailboxes


class ResellerMailbox(BaseModel):
    mailboxId: str
    email: str
    username: str
    firstName: str
    lastName: str
    domainId: str
    domainName: str
    userId: str | None
    status: str = Field(description="ORDERED, LIVE, FAILED, SUSPENDED, DELETED")
    failureReason: str | None
    serviceProvider: str
    profilePicture: str | None = Field(description="URL of the picture")
    createdAt: str


class ResellerMailboxDetail(ResellerMailbox):
    password: str | None = Field(description="SMTP and IMAP password; null until the mailbox is live")
    twoFactorCode: str | None = Field(description="Current one-time code of the mailbox's authenticator")
    smtpHost: str | None
    smtpPort: int | None
    imapHost: str | None
    imapPort: int | None
    signInNote: str | None = Field(
        description="Mailwright extension: what a client must know to sign in where the password alone is not enough "
        "(Microsoft 365: SMTP AUTH must be allowed, IMAP needs OAuth 2.0); null where it is"
    )


class ResellerMailboxList(BaseModel):
    mailboxes: list[ResellerMailbox]
    pagination: ResellerPagination


class UpdateMailboxRequest(BaseModel):
    """Fields left out stay as they are; at least one of username, firstName, lastName, profilePicture."""

    userId: str = Field(description="Also accepted as ?userId=")
    mailboxId: str
    username: str | None = Field(
        None,
        description="New part before @ on the mailbox's own domain (live mailboxes only; not another mailbox's "
        f"address). {LOCAL_PART_RULE}",
    )
    firstName: str | None = None
    lastName: str | None = None
    profilePicture: str | None = Field(None, description="base64 PNG or JPEG (a data: URL prefix is accepted), at most 5 MB")


class RemoveMailboxRequest(BaseModel):
    mailboxId: str | None = None
    userId: str | None = Field(None, description="When given, the mailbox must be this user's")


# ------------------------------------------------------------------ subscriptions


class ResellerSubscription(BaseModel):
    subscriptionId: str
    subscriptionStatus: str = Field(description="ACTIVE, PAST_DUE, SUSPENDED, CANCELLED, EXPIRED")
    totalMailboxQuantity: int
    billingCycle: str = Field(description="MONTHLY")
    pricePerMailbox: str = Field(description='e.g. "3.00"')
    currency: str
    periodStart: str
    periodEnd: str
    serviceProvider: str
    autoRenew: bool
    userId: str | None
    domain: str
    domainId: str


class ResellerSubscriptionList(BaseModel):
    subscriptions: list[ResellerSubscription]
    pagination: ResellerPagination


class RenewSubscriptionsRequest(BaseModel):
    subscriptionIds: list[str]


class RenewedSubscription(BaseModel):
    subscriptionId: str
    periodEnd: str = Field(description="The new end of the paid period")
    domain: str = Field(description="The domain of the subscription's workspace")
    amount: str = Field(description='What this subscription was charged, e.g. "8.00"')


class RenewalAction(BaseModel):
    """A recorded renewal of subscriptions: all of them were charged and extended together."""

    actionId: str = Field(description="Look the renewal up again with GET /subscriptions/renew-subscriptions/{actionId}")
    userId: str | None = Field(description="The user whose subscriptions these are; null when they belong to several")
    createdAt: str
    totalCharged: str = Field(description='The sum taken from the wallet, e.g. "16.00"')
    currency: str
    renewed: list[RenewedSubscription]


class RenewedDomain(BaseModel):
    domainId: str
    domainName: str
    expireOn: str = Field(description="The new expiry of the registration")
    amount: str = Field(description='What this domain was charged, e.g. "14.50"')


class DomainRenewalAction(BaseModel):
    """A recorded renewal of domains: all of them were charged and extended together."""

    actionId: str = Field(description="Look the renewal up again with GET /domains/renew/{actionId}")
    userId: str | None = Field(description="The user whose domains these are")
    createdAt: str
    totalCharged: str = Field(description='The sum taken from the wallet, e.g. "29.00"')
    currency: str
    renewed: list[RenewedDomain]


class SubscriptionAutoRenewRequest(BaseModel):
    subscriptionId: str
    autoRenew: bool


class CancelSubscriptionRequest(BaseModel):
    """Exactly one of the two."""

    subscriptionId: str | None = None
    domain: str | None = None


DOCUMENTED_MODELS: tuple[type[BaseModel], ...] = (
    UserRequest,
    SuggestDomainsRequest,
    CheckDomainRequest,
    DomainForwardingRequest,
    EmailForwardingRequest,
    UpdateMailboxRequest,
    DnsRecordRequest,
    DomainListRequest,
    DomainAutoRenewRequest,
    RenewSubscriptionsRequest,
    SubscriptionAutoRenewRequest,
    CancelSubscriptionRequest,
    DeleteDnsRecordRequest,
    RemoveMailboxRequest,
)


def body_of(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """Documents a hand-parsed JSON body (the model is listed in DOCUMENTED_MODELS)."""
    return openapi.request_body(ErrorEnvelope.__name__, {JSON: model}, required=required)
