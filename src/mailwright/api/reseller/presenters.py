"""Rows to this face's response bodies (camelCase, as the family names things)."""

from __future__ import annotations

from typing import Any

from mailwright.api.woodpecker.presenters import PICTURES_PATH
from mailwright.billing.service import SubscriptionView
from mailwright.clock import iso
from mailwright.domains.models import Domain
from mailwright.mailboxes import service as mailboxes
from mailwright.mailboxes.models import Mailbox, MailboxStatus
from mailwright.runtime import Runtime
from mailwright.users.models import ResellerUser


def user_body(user: ResellerUser) -> dict[str, Any]:
    return {
        "userId": user.id,
        "email": user.email,
        "firstName": user.first_name,
        "lastName": user.last_name,
        "companyName": user.company_name,
        "phone": user.phone,
        "address": user.address,
        "city": user.city,
        "state": user.state,
        "country": user.country,
        "zipCode": user.zip_code,
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.updated_at),
    }


def domain_body(domain: Domain, mailbox_count: int) -> dict[str, Any]:
    return {
        "domainId": domain.id,
        "domainName": domain.name,
        "userId": domain.user_id,
        "status": domain.status.upper(),
        "failureReason": domain.failure_reason,
        "serviceProvider": domain.provider,
        "years": domain.years,
        "autoRenew": domain.auto_renew,
        "expireOn": iso(domain.expires_at),
        "forwardTo": domain.domain_redirect_url,
        "maskForwarding": domain.mask_forwarding,
        "emailForwardTo": domain.email_forward_address,
        "mailboxCount": mailbox_count,
        "createdAt": iso(domain.created_at),
    }


def mailbox_body(mailbox: Mailbox, domain_name: str, public_base: str) -> dict[str, Any]:
    picture = f"{public_base}{PICTURES_PATH}/{mailbox.profile_picture_id}" if mailbox.profile_picture_id else None
    return {
        "mailboxId": mailbox.id,
        "email": mailbox.email,
        "username": mailbox.local_part,
        "firstName": mailbox.first_name,
        "lastName": mailbox.last_name,
        "domainId": mailbox.domain_id,
        "domainName": domain_name,
        "userId": mailbox.user_id,
        "status": mailbox.status.upper(),
        "failureReason": mailbox.failure_reason,
        "serviceProvider": mailbox.provider,
        "profilePicture": picture,
        "createdAt": iso(mailbox.created_at),
    }


def mailbox_credentials(runtime: Runtime, mailbox: Mailbox) -> dict[str, Any]:
    """Usable only while the mailbox is live; null otherwise."""
    live = mailbox.status == MailboxStatus.LIVE
    return {
        "password": runtime.secrets.decrypt(mailbox.password_enc) if live else None,
        "twoFactorCode": mailboxes.one_time_code(runtime, mailbox),
        "smtpHost": mailbox.smtp_host if live else None,
        "smtpPort": mailbox.smtp_port if live else None,
        "imapHost": mailbox.imap_host if live else None,
        "imapPort": mailbox.imap_port if live else None,
        "signInNote": mailbox.sign_in_note if live else None,
    }


def subscription_body(view: SubscriptionView, user_id: str | None) -> dict[str, Any]:
    sub = view.subscription
    return {
        "subscriptionId": sub.id,
        "subscriptionStatus": view.status,
        "totalMailboxQuantity": view.quantity,
        "billingCycle": sub.billing_cycle,
        "pricePerMailbox": view.price_per_mailbox.decimal,
        "currency": sub.currency,
        "periodStart": iso(sub.period_start),
        "periodEnd": iso(sub.period_end),
        "serviceProvider": sub.provider,
        "autoRenew": sub.auto_renew,
        "userId": user_id,
        "domain": view.domain_name,
        "domainId": sub.domain_id,
    }
