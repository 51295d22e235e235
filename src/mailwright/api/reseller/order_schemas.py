"""Order request and response shapes of this face, for the OpenAPI document (requests are parsed
by hand in order_requests.py so that every problem is named at once)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

STATUS_VALUES = "CREATED, EXPIRED, PROCESSING, COMPLETED, PARTIALLY_COMPLETED, FAILED"


class OrderDomain(BaseModel):
    domain: str = Field(description="e.g. onecompanycenter.com")
    years: int = Field(1, ge=1, le=10, description="Registration period; price = yearly price x years")
    forwardTo: str | None = Field(None, description="URL (or domain) the domain's web address forwards to")
    maskForwarding: bool | None = Field(None, description="Keep the domain in the address bar (framed)")


class OrderMailbox(BaseModel):
    username: str = Field(description="The part before @")
    firstName: str
    lastName: str
    profilePicture: str | None = Field(None, description="JSON only: https URL of a PNG or JPEG on a public address, fetched while provisioning")


class GoogleExport(BaseModel):
    googleOauthRoute: str | None = Field(None, description="Google OAuth URL")
    clientId: str | int | None = Field(None, description="Client id of your platform")
    appName: str | None = Field(None, description="App name shown in the Google admin console")


class CreateOrderJson(BaseModel):
    domains: list[OrderDomain]
    mailboxes: dict[str, list[OrderMailbox]] = Field(default_factory=dict, description="domain -> its mailboxes")
    billingCycle: Literal["MONTHLY"] = "MONTHLY"
    confirm: bool | None = Field(None, description="true: process at once (needs the balance)")
    serviceProvider: Literal["GOOGLE", "MICROSOFT"] = "GOOGLE"
    microsoftOauthRoute: str | None = None
    google: GoogleExport | None = None
    autoRenew: bool | None = None
    exportTo: str | None = Field(None, description="A sending platform of yours (platformId, see POST /exports/platforms): each mailbox is exported there once it is live")


class CreateOrderMultipart(BaseModel):
    """Form fields; `domains`, `mailboxes` and `google` hold JSON text. Add one file field per mailbox
    named `username@domain` with its picture (PNG or JPEG, at most 5 MB)."""

    domains: str = Field(description='JSON, e.g. [{"domain":"domain.com","years":1}]')
    mailboxes: str | None = Field(None, description='JSON, e.g. {"domain.com":[{"username":"email1","firstName":"john","lastName":"doe"}]}')
    billingCycle: str | None = Field(None, description="MONTHLY (the only value)")
    confirm: str | None = Field(None, description="true to process at once; empty: false")
    serviceProvider: str | None = Field(None, description="GOOGLE (default) or MICROSOFT")
    microsoftOauthRoute: str | None = None
    google: str | None = Field(None, description='JSON {"googleOauthRoute","clientId","appName"}; empty members are not given')
    autoRenew: str | None = Field(None, description="true or false; empty: false")
    exportTo: str | None = Field(None, description="A sending platform of yours (platformId, see POST /exports/platforms): each mailbox is exported there once it is live")


class OrderMailboxesRequest(BaseModel):
    domainId: str | None = Field(None, description="The domain to add mailboxes to (XOR subscriptionId)")
    subscriptionId: str | None = Field(None, description="The subscription to add mailboxes to (XOR domainId); an ended one is reopened")
    mailboxes: list[OrderMailbox]
    autoRenew: bool | None = None
    confirm: bool | None = Field(None, description="true: process at once; insufficient funds fail the creation")
    exportTo: str | None = Field(None, description="A sending platform of yours (platformId, see POST /exports/platforms): each mailbox is exported there once it is live")


class OrderCreated(BaseModel):
    orderId: str


class OrderProcessed(BaseModel):
    orderId: str
    orderStatus: str = Field(description=STATUS_VALUES)
    processedNow: bool = Field(description="false when the order had already been processed")


class OrderStatusBody(BaseModel):
    orderId: str
    orderStatus: str = Field(description=STATUS_VALUES)


class OrderDetails(BaseModel):
    orderId: str
    userId: str | None
    orderStatus: str = Field(description=STATUS_VALUES)
    kind: str = Field(description="domains or mailboxes")
    totalPrice: str = Field(description='Decimal string, e.g. "19.00"')
    currency: str
    billingCycle: str
    autoRenew: bool
    serviceProvider: str | None
    microsoftOauthRoute: str | None
    google: dict[str, Any] | None
    createdAt: str
    expiresAt: str | None = Field(description="When an unprocessed order expires; null once processed")
    processedAt: str | None
    completedAt: str | None
    domains: list[dict[str, Any]]
    mailboxes: list[dict[str, Any]]


DOCUMENTED_MODELS: tuple[type[BaseModel], ...] = (CreateOrderJson, CreateOrderMultipart, OrderMailboxesRequest)
