"""Shapes of the Woodpecker-style face, for the OpenAPI schema and response serialisation.

Request bodies are parsed by hand (so every problem is reported at once, in the seeds' words);
the request models here document them."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Provider = Literal["MAILDOSO", "MAILFORGE", "GOOGLE", "MICROSOFT"]


class Price(BaseModel):
    amount: str = Field(examples=["13.00"], description="Decimal amount with two digits after the point")
    currency: str = Field(examples=["USD"])


class ProviderItem(BaseModel):
    name: Provider
    currency: str
    email_account_price: str = Field(description="Monthly price of one mailbox, in the account currency", examples=["6.00"])


class ProvidersResponse(BaseModel):
    providers: list[ProviderItem]


class AvailabilityItem(BaseModel):
    domain: str
    available: bool
    price: Price | None = Field(description="One year's registration; null when unavailable or not sold")


class AvailabilitySearchResponse(BaseModel):
    provider: Provider
    query: str
    domains: list[AvailabilityItem]


class AvailabilityListResponse(BaseModel):
    provider: Provider
    domains: list[AvailabilityItem]


class AvailabilityListRequest(BaseModel):
    domains: list[str] = Field(min_length=1, max_length=50, examples=[["piedpiper.com", "piedpiper.io"]])


class OwnerConfiguration(BaseModel):
    default_domain_redirect_url: str | None = Field(None, description="Applied as the redirect URL of newly ordered domains")
    default_email_forward_address: str | None = Field(None, description="Applied as the email forwarding of newly ordered domains")


class OwnerContact(BaseModel):
    email: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    address: str | None
    city: str | None
    state: str | None
    country: str | None = Field(description="ISO 3166-1 alpha-2 code")
    zip_code: str | None
    phone: str | None = Field(examples=["+1.5555555555"])


class Owner(OwnerContact):
    configuration: OwnerConfiguration


class OwnerRequest(BaseModel):
    email: str
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    company_name: str | None = Field(None, max_length=200)
    address: str = Field(max_length=300)
    city: str = Field(max_length=100)
    state: str = Field(max_length=100)
    country: str = Field(description="ISO 3166-1 alpha-2 code", examples=["US"])
    zip_code: str = Field(max_length=20)
    phone: str = Field(examples=["+1.5555555555"])
    configuration: OwnerConfiguration | None = None


class MailboxOrderItem(BaseModel):
    first_name: str = Field(max_length=60, description="Mailbox owner's first name, shown as the 'from name'")
    last_name: str = Field(max_length=60, description="Mailbox owner's last name, shown as the 'from name'")
    email: str = Field(description="Mailbox address to order", examples=["richard@piedpiper.com"])


class OrderDomainsRequest(BaseModel):
    provider: Provider
    domains: list[str] = Field(min_length=1, description="Unique; must not already exist for the account")
    mailboxes: list[MailboxOrderItem] = Field(min_length=1)
    export_to: str | None = Field(None, description="The id of a sending platform registered for your account (platformId): each mailbox is exported there once it is live")


class OrderMailboxesRequest(BaseModel):
    mailboxes: list[MailboxOrderItem] = Field(min_length=1, description="Mailboxes for the account's existing active domains")
    export_to: str | None = Field(None, description="The id of a sending platform registered for your account (platformId): each mailbox is exported there once it is live")


class OrderAccepted(BaseModel):
    order_id: str
    status: Literal["processing"]
    total: Price


class OrderItemStatus(BaseModel):
    name: str
    status: str = Field(
        description="Domain: ordered, registered, dns_configured, ready, needs_action or failed; "
        "mailbox: ordered, live, needs_action or failed"
    )
    failure_reason: str | None = Field(description="Why it failed or what a person must do (needs_action)")


class OrderStatusResponse(BaseModel):
    order_id: str
    kind: Literal["domains", "mailboxes"]
    # created: placed through the ColdMailReseller-style face and not processed yet.
    status: Literal["created", "expired", "processing", "needs_action", "completed", "partially_completed", "failed"] = Field(
        description="needs_action: some item waits for a person (see its failure_reason); "
        "retry the order with POST /rest/v2/domains/orders/{order_id}/retry once done"
    )
    total: Price
    created: str
    completed: str | None
    domains: list[OrderItemStatus]
    mailboxes: list[OrderItemStatus]


class DomainItem(BaseModel):
    domain: str
    mailboxes_count: int = Field(description="Mailboxes not deleted or failed")
    provider: Provider
    is_custom_domain: bool
    is_ready: bool
    expires: str | None
    created: str


class DomainList(BaseModel):
    domains: list[DomainItem]


class DomainDetail(DomainItem):
    owner: OwnerContact
    email_forward_address: str | None
    domain_redirect_url: str | None
    max_mailboxes: int
    all_mailboxes_are_ready: bool
    status: Literal["ordered", "registered", "dns_configured", "ready", "needs_action", "failed", "released"] = Field(
        description="Mailwright extension: where provisioning stands; needs_action: parked until a person acts "
        "(see failure_reason) and the order is retried"
    )
    failure_reason: str | None = Field(
        description="Mailwright extension: why the domain failed (it was refunded), or what a person must do (needs_action)"
    )


class DnsRecordItem(BaseModel):
    purpose: Literal["mx", "spf", "dkim", "dmarc", "tracking", "extra", "verification"] = Field(
        description="What the record is for; extra: a record the mailbox provider asks for; verification: its proof that the domain is ours"
    )
    type: str = Field(examples=["TXT"])
    name: str = Field(description="Relative to the domain; @ is the domain itself", examples=["_dmarc"])
    fqdn: str = Field(examples=["_dmarc.piedpiper.com"])
    ttl: int
    priority: int | None = Field(description="MX preference; null for other types")
    value: str = Field(
        description="Expected record data (TXT: the character-strings joined; MX: preference and host)",
        examples=["v=DMARC1; p=none"],
    )
    observed_value: str | None = Field(description="What the domain's authoritative servers served at the last check; null: nothing")
    valid: bool = Field(description="True when the last check saw the expected value served")
    last_checked: str | None = Field(description="When the servers were last queried (RFC 3339 UTC)")


class DelegationItem(BaseModel):
    expected: list[str] = Field(description="The DNS host's nameservers for the zone", examples=[["ns1.example.net"]])
    observed: list[str] | None = Field(
        description="The nameservers the parent zone holds for the domain now; null: the delegation cannot be checked from here"
    )
    source: str = Field(description="Who was asked", examples=["the servers of the com zone"])
    valid: bool = Field(description="The domain is delegated to the DNS host (or cannot be checked); readiness waits for it")


class DnsRecordsResponse(BaseModel):
    domain: str
    nameservers: list[str] = Field(description="Where the domain is delegated to")
    all_valid: bool = Field(description="Every record is served as expected (false while none are published yet)")
    delegation: DelegationItem | None = Field(
        None, description="When the registrar is not the DNS host: the delegation to the DNS host, checked now; null otherwise"
    )
    records: list[DnsRecordItem]


class MailboxItem(BaseModel):
    first_name: str
    last_name: str
    email: str
    provider: Provider
    status: Literal["ORDERED", "PAID", "FAILED", "SUSPENDED", "DELETED"] = Field(
        description="ORDERED while being set up, PAID once live; Mailwright extensions: FAILED (refunded), "
        "SUSPENDED (its subscription is unpaid past grace), DELETED (removed, or its subscription ended)"
    )


class MailboxList(BaseModel):
    mailboxes: list[MailboxItem]


class MailboxDetail(BaseModel):
    login: str
    authenticator: str | None = Field(description="The current RFC 6238 one-time code; null until the mailbox is live")
    smtp_server: str | None
    smtp_password: str | None
    smtp_port: int | None
    imap_server: str | None
    imap_email: str | None
    imap_password: str | None
    imap_port: int | None
    sign_in_note: str | None = Field(
        description="Mailwright extension: what a client must know to sign in where the password alone is not enough "
        "(Microsoft 365: SMTP AUTH must be allowed, IMAP needs OAuth 2.0); null where it is"
    )
    created: str
    profile_picture: str | None = Field(description="URL of the profile picture")
    email: str
    first_name: str
    last_name: str
    status: Literal["ORDERED", "PAID", "FAILED", "SUSPENDED", "DELETED"]
    failure_reason: str | None


class RedirectRequest(BaseModel):
    domain_redirect_url: str = Field(description="http(s) URL; an empty string removes the redirect")


class DkimRequest(BaseModel):
    selector: str = Field(description="The selector (prefix) chosen at the mailbox host", examples=["google"])
    value: str = Field(
        description="The DKIM TXT value the mailbox host shows (Google Workspace: Admin console, Authenticate email)",
        examples=["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA..."],
    )


class ForwardingRequest(BaseModel):
    email_forward_address: str = Field(description="Email address; an empty string removes the forwarding")


class AvatarRequest(BaseModel):
    avatar: str = Field(description="Base64 PNG or JPEG without a data: prefix; at most 5 MB and 4096x4096 pixels")


class Accepted(BaseModel):
    success: bool = True


class Success(BaseModel):
    success: bool


class ProblemBody(BaseModel):
    title: str
    status: int
    details: str
    timestamp: str
    request_id: str | None = Field(description="The request's id, as in the X-Request-Id response header and the server's logs")


class FieldIssueBody(BaseModel):
    field: str
    issue: str
    value: str | None


class ValidationErrorBody(BaseModel):
    type: Literal["validation_error"]
    message: str
    code: str = Field(
        description="invalid_fields, or a business code: domain_owner_required, insufficient_funds, payment_failed, "
        "domain_unavailable, domain_price_unavailable, domain_not_ready, idempotency_key_reused"
    )
    request_id: str | None
    fields: list[FieldIssueBody] | None
