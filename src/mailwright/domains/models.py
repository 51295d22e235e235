from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mailwright import clock
from mailwright.db.base import Base, UTCDateTime
from mailwright.ids import new_id


class DomainStatus:
    ORDERED = "ordered"  # paid, waiting for the registrar
    REGISTERED = "registered"  # registered, DNS not yet in place
    DNS_CONFIGURED = "dns_configured"  # records published, not yet seen served
    READY = "ready"  # records verified; mailboxes may go live
    FAILED = "failed"  # refunded; see failure_reason
    RELEASED = "released"  # removed by the customer, or its registration lapsed; no longer managed
    # Parked: a person must act (failure_reason says what); `mailwright orders retry` resumes
    # it from resume_status. Not refunded.
    NEEDS_ACTION = "needs_action"
    IN_PROGRESS = (ORDERED, REGISTERED, DNS_CONFIGURED)


class Domain(Base):
    __tablename__ = "domains"

    id: Mapped[str] = mapped_column(String(28), primary_key=True, default=new_id)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    # The reseller's end customer it belongs to; NULL: the account itself (the Woodpecker-style face).
    user_id: Mapped[str | None] = mapped_column(ForeignKey("reseller_users.id"), index=True, nullable=True)
    order_id: Mapped[str | None] = mapped_column(ForeignKey("orders.id"), index=True, nullable=True)
    # ASCII (IDNA A-label) form, lowercase, no trailing dot.
    name: Mapped[str] = mapped_column(String(253), index=True)
    # Equal to `name` while the domain holds the name; NULL once failed or released, so that a
    # unique index lets only one live domain of a name exist across all accounts.
    name_claim: Mapped[str | None] = mapped_column(String(253), unique=True, nullable=True)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=DomainStatus.ORDERED)
    failure_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # While parked (needs_action): the status provisioning resumes from on retry.
    resume_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    is_custom_domain: Mapped[bool] = mapped_column(Boolean, default=False)
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    max_mailboxes: Mapped[int] = mapped_column(Integer)
    # The registrant contact as it was when the domain was ordered (JSON).
    owner_snapshot: Mapped[str] = mapped_column(Text)
    domain_redirect_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    # Masked forwarding shows the target inside a frame under this domain's name.
    mask_forwarding: Mapped[bool] = mapped_column(Boolean, default=False)
    # Registration period ordered, in years (1-10).
    years: Mapped[int] = mapped_column(Integer, default=1)
    email_forward_address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Bumped on every change to the settings above; the provider has them once applied catches up.
    settings_version: Mapped[int] = mapped_column(Integer, default=0)
    settings_applied_version: Mapped[int] = mapped_column(Integer, default=0)
    dkim_selector: Mapped[str | None] = mapped_column(String(63), nullable=True)
    dkim_private_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    # DKIM that a person handles at a mailbox host whose API cannot (providers/base.py MailSetup):
    # the value the operator supplied (`mailwright dns set-dkim`: Google's Admin console key) and
    # when the operator confirmed signing is on (`mailwright dns confirm-dkim`: Microsoft 365).
    # "operator" (a key the operator supplies) or "confirmation" (signing the operator confirms):
    # set when the host's mail setup asked for it, so only such domains accept either.
    host_dkim_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    host_dkim_selector: Mapped[str | None] = mapped_column(String(63), nullable=True)
    host_dkim_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    host_dkim_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    registered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Renewed automatically (from the wallet) ahead of expires_at; see mailwright.billing.
    auto_renew: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa.true())
    # The last renewal attempt that failed for want of funds (retried daily, one event a day).
    renewal_failed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ready_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
