"""A MailboxHost on Microsoft 365 (MAILWRIGHT_MAILBOX_HOSTS='{"MICROSOFT": "microsoft365"}'),
through Microsoft Graph v1.0 with an app registration's own identity (no signed-in user):

- Microsoft identity platform, OAuth 2.0 client credentials grant
  (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
  POST {login}/{tenant}/oauth2/v2.0/token with client_id, client_secret,
  scope=https://graph.microsoft.com/.default, grant_type=client_credentials; the answer
  {"token_type": "Bearer", "expires_in", "access_token"}, or {"error", "error_description",
  "error_codes", "trace_id", ...}; error codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes
- Graph domains (https://learn.microsoft.com/graph/api/resources/domain): create (POST /domains
  {"id"}), get, list (`isInitial`), verificationDnsRecords, verify, serviceConfigurationRecords
  (domainDnsMxRecord / domainDnsTxtRecord / domainDnsCnameRecord, `label` a full name), delete
- Graph users (https://learn.microsoft.com/graph/api/resources/user): create, get by id or
  userPrincipalName, update, delete, list ($select, $top, @odata.nextLink), assignLicense;
  profilePhoto update (PUT /users/{id}/photo/$value); subscribedSkus (skuPartNumber, skuId,
  prepaidUnits.enabled, consumedUnits); organization
- Graph errors {"error": {"code", "message", "innerError"}} (https://learn.microsoft.com/graph/errors);
  throttling: 429, or 503/504, with Retry-After (https://learn.microsoft.com/graph/throttling and
  .../throttling-limits, "Identity and access service limits")
- DKIM for custom domains (https://learn.microsoft.com/defender-office-365/email-authentication-dkim-configure)
- SMTP AUTH client submission (https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission)

Choices (docs/decisions/1106-microsoft365.md says why):
- The token is a plain client-credentials POST with httpx (MSAL refuses an http:// authority,
  which the loopback emulator needs). It is kept until shortly before `expires_in` runs out
  (a tenth of its life, at most five minutes), then fetched again; a 401 on a kept token fetches
  a new one once. The token's `roles` claim (a JWT, read without verifying it: Graph verifies
  it) names the application permissions granted, for `probe()` and for refusals.
- The token's scope is https://graph.microsoft.com/.default: the global cloud. The base URLs
  are settings for tests and proxies; national clouds (other scopes) are not supported.
- The app needs three Graph application permissions, granted with admin consent:
  User.ReadWrite.All (users, licences, photos), Domain.ReadWrite.All (domains),
  Organization.Read.All (subscribedSkus, organization).
- Domains: looked up before they are added; a domain Graph will not add (held by another
  tenant) is refused for good. The verification TXT (`MS=ms...`) is what add_domain returns.
- Mail records come from serviceConfigurationRecords as Microsoft gives them: the records of
  the `Email` service that are not optional (MX, the SPF TXT, the autodiscover CNAME); names
  made relative to the zone, targets absolute.
- DKIM: Graph has no call that enables DKIM signing, so nothing pretends to. The two CNAMEs
  are published in `extra` in the format Microsoft documents for custom domains,
  selector1-<domainGUID>._domainkey.<initial domain>, where domainGUID is "the text to the
  left of .mail.protection.outlook.com in the customized MX record" (so a Microsoft-assigned
  token with dashes or a suffix, e.g. contoso-com01b, is followed exactly, never re-derived
  from the name) and the initial domain is the tenant's `isInitial` onmicrosoft.com domain.
  Domains Microsoft set up from May 2025 may instead be given targets below
  dkim.mail.microsoft with a partition Microsoft assigns and no API reveals; the steps a
  person follows (`dkim_confirmation`) say how to see and use those.
- Users: looked up by userPrincipalName before they are created; created with Mailwright's
  password (no change at first sign-in), `usageLocation` (Graph licenses no user without one)
  and the idempotency key in onPremisesExtensionAttributes.extensionAttribute15, so a retry
  after a crash finds its own user, and an address already used by someone else's user is
  refused instead of taken over. Then the licence MAILWRIGHT_MICROSOFT_LICENSE_SKU (a
  skuPartNumber, its skuId read from subscribedSkus): none left parks the mailbox with how
  many to buy, before any user is created.
- What Graph cannot do is refused, not faked: domain-wide forwarding is an Exchange Online
  transport rule (FORWARDING is not in SUPPORTS), and no API enrols an authenticator app's
  seed for a user (ONE_TIME_CODES neither). Exchange Online refuses the password on IMAP (basic
  authentication is retired: OAuth 2.0 only) and on SMTP unless the tenant allows SMTP AUTH (off
  by default; SIGN_IN_NOTE), so PASSWORD_SIGN_IN is not in SUPPORTS either: exports by API
  refuse these mailboxes, which the customer connects in the platform with Microsoft sign-in.
- Errors: no answer → ProviderUnavailable, 429/5xx with Retry-After → RetriableError
  (providers/http.py); 403 → NeedsActionError naming the permission and admin consent; the
  identity platform's refusals → NeedsActionError saying which setting to fix; other
  refusals → TerminalError in Graph's words. Neither the client secret, nor a token, nor a
  mailbox password is ever part of an error."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from mailwright.config import Settings, SettingProblem, required
from mailwright.providers.base import (
    Capability,
    MailboxAccess,
    MailSetup,
    NeedsActionError,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp

DEFAULT_LOGIN_BASE = "https://login.microsoftonline.com"
DEFAULT_GRAPH_BASE = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
WHY = 'MAILWRIGHT_MAILBOX_HOSTS={"MICROSOFT": "microsoft365"}'

# The application permissions Mailwright asks for, and the roles that also grant each one.
USERS = "User.ReadWrite.All"
DOMAINS = "Domain.ReadWrite.All"
ORGANIZATION = "Organization.Read.All"
PERMISSIONS = (USERS, DOMAINS, ORGANIZATION)
GRANTED_BY = {
    USERS: frozenset({USERS, "Directory.ReadWrite.All"}),
    DOMAINS: frozenset({DOMAINS}),
    ORGANIZATION: frozenset({ORGANIZATION, "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"}),
}
CONSENT_STEPS = (
    "Microsoft Entra admin center → App registrations → the app → API permissions → Add a permission → "
    "Microsoft Graph → Application permissions, then Grant admin consent for the tenant"
)

# What a mailbox's owner connects to (Exchange Online's documented client settings).
SMTP_HOST, SMTP_PORT = "smtp.office365.com", 587
IMAP_HOST, IMAP_PORT = "outlook.office365.com", 993

# The user property holding the key of the Mailwright mailbox a user was created for.
MARKER_ATTRIBUTE = "extensionAttribute15"
MARKER_PREFIX = "mailwright:"
USER_FIELDS = "id,userPrincipalName,accountEnabled,assignedLicenses,onPremisesExtensionAttributes"
MAX_PHOTO_BYTES = 4 * 1024 * 1024  # Graph takes profile photos up to 4 MB
MAX_PAGES = 1000
TOKEN_MARGIN_SECONDS = 300.0
# mailNickname may not hold these (Graph: @ () \ [] " ; : <> , and spaces).
_NICKNAME_REFUSED = re.compile(r"[@()\\\[\]\";:<>,\s]")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]{2,63}$")
_SPF_INCLUDE = re.compile(r"include:\s*([^\s]+)", re.IGNORECASE)
# The identity platform's AADSTS codes that say which setting is wrong.
_EXPIRED_SECRET = {7000222}
_WRONG_SECRET = {7000215, 7000216}
_UNKNOWN_APP = {700016, 7000112, 700024}
_UNKNOWN_TENANT = {90002, 900023, 90072, 500011}

Clock = Callable[[], float]


class GraphRefused(TerminalError):
    """A refusal in Graph's own words, with its status and error code for callers that tell them apart."""

    def __init__(self, message: str, status: int, code: str, graph_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.graph_message = graph_message


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # on the adapter's clock
    roles: tuple[str, ...]

    def __repr__(self) -> str:  # never the token itself
        return f"_Token(roles={self.roles!r})"


class Microsoft365Host:
    SUPPORTS = frozenset({Capability.HOST_DOMAINS, Capability.MAILBOXES, Capability.PROFILE_PHOTOS})
    # Graph's identity and access limits per app and tenant: 3,500 resource units per 10 s
    # (tenants under 50 users; a call costs 1 unit, listing users 2, subscribedSkus 3) and
    # 3,000 writes per 2 min 30 s; per tenant, 18,000 writes per 5 min. A mailbox step makes at
    # most six calls and three writes (look up, licences, create, assign): 60 steps a minute
    # stays far below all three. (Deleting a workspace is one step of one write per user.)
    STEP_RATE = (60, 60)
    PAGE_SIZE = 999  # Graph's largest $top for users

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        *,
        provider: str = "MICROSOFT",
        login_base: str = DEFAULT_LOGIN_BASE,
        graph_base: str = DEFAULT_GRAPH_BASE,
        license_sku: str = "O365_BUSINESS_ESSENTIALS",
        usage_location: str = "US",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        self.provider = provider
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.license_sku = license_sku
        self.usage_location = usage_location.upper()
        self.graph_base = graph_base.rstrip("/")
        self.login = ProviderHttp("Microsoft identity platform", login_base, timeout=timeout, transport=transport or _transport())
        self.graph = ProviderHttp("Microsoft Graph", self.graph_base, timeout=timeout, transport=transport or _transport())
        self._client_secret = client_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None
        self._initial_domain: str | None = None

    def __repr__(self) -> str:
        return f"Microsoft365Host(tenant_id={self.tenant_id!r}, client_id={self.client_id!r})"

    @classmethod
    def from_settings(cls, settings: Settings, provider: str) -> Microsoft365Host:
        if provider != "MICROSOFT":
            raise SettingProblem("mailbox_hosts", f"microsoft365 serves MICROSOFT mailboxes, not {provider}")
        tenant = required(settings, "microsoft_tenant_id", WHY)
        if not (_GUID.match(tenant) or _HOST_NAME.match(tenant)):
            raise SettingProblem(
                "microsoft_tenant_id",
                "must be the Directory (tenant) ID of the app registration's Overview page (a GUID), or the tenant's domain such as contoso.onmicrosoft.com",
            )
        client_id = required(settings, "microsoft_client_id", WHY)
        if not _GUID.match(client_id):
            raise SettingProblem("microsoft_client_id", "must be the Application (client) ID of the app registration's Overview page (a GUID)")
        secret = required(settings, "microsoft_client_secret", WHY)
        login_base = required(settings, "microsoft_login_base", WHY)
        graph_base = required(settings, "microsoft_graph_base", WHY)
        for field, value, default in (("microsoft_login_base", login_base, DEFAULT_LOGIN_BASE), ("microsoft_graph_base", graph_base, DEFAULT_GRAPH_BASE)):
            if not value.startswith(("https://", "http://")):
                raise SettingProblem(field, f"must be an http(s) URL such as {default}")
        sku = required(settings, "microsoft_license_sku", WHY)
        usage = required(settings, "microsoft_usage_location", WHY).upper()
        if not re.fullmatch(r"[A-Z]{2}", usage):
            raise SettingProblem("microsoft_usage_location", "must be a two-letter ISO 3166 country code such as US or DE (Graph licenses no user without one)")
        return cls(tenant, client_id, secret, provider=provider, login_base=login_base, graph_base=graph_base, license_sku=sku, usage_location=usage)

    def close(self) -> None:
        self.login.close()
        self.graph.close()

    # ------------------------------------------------------------------ check

    def probe(self) -> str:
        """A token, the tenant and its licences of MAILWRIGHT_MICROSOFT_LICENSE_SKU, in one sentence."""
        token = self._access()
        missing = [p for p in PERMISSIONS if not GRANTED_BY[p] & set(token.roles)]
        if missing:
            raise NeedsActionError(
                f"The app registration {self.client_id} lacks the Microsoft Graph application permission(s) "
                f"{', '.join(missing)} (roles in its token: {_roles_text(token.roles)}): add them ({CONSENT_STEPS})"
            )
        organizations = self._json(self._call("GET", "organization", params={"$select": "id,displayName"}, what="reading the organization", permission=ORGANIZATION))
        tenant = self.tenant_id
        for organization in organizations.get("value") or []:
            if isinstance(organization, dict) and organization.get("id"):
                tenant = str(organization["id"])
                break
        sku = self._subscribed_sku()
        enabled, consumed = _units(sku)
        left = max(enabled - consumed, 0)
        return f"tenant {tenant}: {self.license_sku} {left} of {enabled} licences left; roles in token: {_roles_text(token.roles)}"

    # ------------------------------------------------------------------ domains

    def add_domain(self, domain: str) -> tuple[RecordSpec, ...]:
        domain = _domain(domain)
        if self._domain(domain) is None:
            try:
                self._call("POST", "domains", json={"id": domain}, what=f"adding the domain {domain}", permission=DOMAINS)
            except GraphRefused as exc:
                if self._domain(domain) is None:  # not added meanwhile by a retry of ours: refused for good
                    raise TerminalError(
                        f"Microsoft 365 will not add {domain} to the tenant {self.tenant_id}: {exc.graph_message} "
                        f"({exc.code}); a domain another Microsoft 365 tenant holds must be removed there first"
                    ) from exc
        records = self._pages(f"domains/{_path(domain)}/verificationDnsRecords", {}, what=f"reading the verification records of {domain}", permission=DOMAINS)
        for record in records:
            text = str(record.get("text") or "")
            if str(record.get("recordType", "")).lower() == "txt" and text.startswith("MS="):
                return (RecordSpec("TXT", _relative(str(record.get("label") or domain), domain), text, _ttl(record)),)
        raise RetriableError(f"Microsoft 365 gave no TXT verification record for {domain} yet")

    def verify_domain(self, domain: str) -> None:
        domain = _domain(domain)
        found = self._domain(domain)
        if found is None:
            raise TerminalError(f"{domain} is not in the Microsoft 365 tenant {self.tenant_id}: it must be added before it can be verified")
        if found.get("isVerified"):
            return
        try:
            self._call("POST", f"domains/{_path(domain)}/verify", what=f"verifying {domain}", permission=DOMAINS)
        except GraphRefused as exc:
            if exc.status != 400:
                raise
            again = self._domain(domain)
            if again is not None and again.get("isVerified"):
                return
            raise RetriableError(
                f"Microsoft 365 does not see the verification TXT record of {domain} yet ({exc.graph_message})", retry_after=60
            ) from exc

    def mail_setup(self, domain: str) -> MailSetup:
        domain = _domain(domain)
        found = self._domain(domain)
        if found is None:
            raise TerminalError(f"{domain} is not in the Microsoft 365 tenant {self.tenant_id}")
        if not found.get("isVerified"):
            raise RetriableError(f"{domain} is not verified at Microsoft 365 yet", retry_after=60)
        records = [
            r
            for r in self._pages(f"domains/{_path(domain)}/serviceConfigurationRecords", {}, what=f"reading the mail records of {domain}", permission=DOMAINS)
            if str(r.get("supportedService") or "").lower() == "email" and not r.get("isOptional")
        ]
        mx: list[RecordSpec] = []
        includes: list[str] = []
        cnames: list[RecordSpec] = []
        for record in records:
            kind = str(record.get("recordType") or "").lower()
            name = _relative(str(record.get("label") or domain), domain)
            if kind == "mx" and record.get("mailExchange"):
                mx.append(RecordSpec("MX", name, _absolute(str(record["mailExchange"])), _ttl(record), priority=int(record.get("preference") or 0)))
            elif kind == "txt" and str(record.get("text") or "").lower().startswith("v=spf1"):
                includes += [i for i in _SPF_INCLUDE.findall(str(record["text"])) if i not in includes]
            elif kind == "cname" and record.get("canonicalName"):
                cnames.append(RecordSpec("CNAME", name, _absolute(str(record["canonicalName"])), _ttl(record)))
        if not mx or not includes:
            raise RetriableError(f"Microsoft 365 does not give the mail records of {domain} yet (MX and SPF)", retry_after=60)
        token = mx_token(mx[0].value)
        initial = self._initial()
        dkim = tuple(
            RecordSpec("CNAME", f"{selector}._domainkey", f"{selector}-{token}._domainkey.{initial}.", 3600) for selector in ("selector1", "selector2")
        )
        return MailSetup(
            mx=tuple(mx),
            spf_includes=tuple(includes),
            extra=tuple(cnames) + dkim,
            dkim_confirmation=dkim_steps(domain, dkim),
        )

    def _domain(self, domain: str) -> dict[str, Any] | None:
        response = self._call("GET", f"domains/{_path(domain)}", what=f"looking for the domain {domain}", permission=DOMAINS, missing_ok=True)
        return None if response is None else self._json(response)

    def _initial(self) -> str:
        """The tenant's initial domain (contoso.onmicrosoft.com), which never changes."""
        if self._initial_domain is None:
            for entry in self._pages("domains", {}, what="listing the tenant's domains", permission=DOMAINS):
                if entry.get("isInitial") and entry.get("id"):
                    self._initial_domain = str(entry["id"]).lower().rstrip(".")
                    break
            else:
                raise RetriableError(f"Microsoft 365 lists no initial domain for the tenant {self.tenant_id}")
        return self._initial_domain

    # ------------------------------------------------------------------ mailboxes

    def find_mailbox(self, email: str) -> MailboxAccess | None:
        user = self._user(_email(email), "id")
        return None if user is None else _access(user)

    def create_mailbox(
        self, email: str, first_name: str, last_name: str, password: str, idempotency_key: str
    ) -> MailboxAccess:
        email = _email(email)
        marker = MARKER_PREFIX + idempotency_key
        user = self._user(email, USER_FIELDS)
        sku: dict[str, Any] | None = None
        if user is None:
            sku = self._subscribed_sku()
            self._licence_left(sku)  # none left: nothing is created
            body = {
                "accountEnabled": True,
                "displayName": _display_name(first_name, last_name, email),
                "mailNickname": _nickname(email),
                "userPrincipalName": email,
                **({"givenName": first_name} if first_name else {}),
                **({"surname": last_name} if last_name else {}),
                "usageLocation": self.usage_location,
                "passwordProfile": {"password": password, "forceChangePasswordNextSignIn": False},
                "onPremisesExtensionAttributes": {MARKER_ATTRIBUTE: marker},
            }
            try:
                user = self._json(self._call("POST", "users", json=body, what=f"creating {email}", permission=USERS))
                user.setdefault("assignedLicenses", [])
                user["onPremisesExtensionAttributes"] = {MARKER_ATTRIBUTE: marker}
            except GraphRefused as exc:
                user = self._user(email, USER_FIELDS)  # created meanwhile by a run of this same step?
                if user is None:
                    raise
                if _marker(user) != marker:
                    raise TerminalError(f"{email} already belongs to another user in the Microsoft 365 tenant ({exc.graph_message})") from exc
        elif _marker(user) != marker:
            raise TerminalError(f"{email} already exists in the Microsoft 365 tenant and was not created for this mailbox")
        self._assign_licence(user, email, sku)
        return _access(user)

    def set_profile_picture(self, email: str, image: bytes, content_type: str) -> None:
        email = _email(email)
        if len(image) > MAX_PHOTO_BYTES:
            raise TerminalError(f"Microsoft 365 takes profile photos of at most 4 MB; this one has {len(image)} bytes")
        user = self._existing(email)
        uploaded = self._call(
            "PUT",
            f"users/{_path(user['id'])}/photo/$value",
            content=image,
            headers={"Content-Type": content_type},
            what=f"setting the photo of {email}",
            permission=USERS,
            missing_ok=True,
        )
        if uploaded is None:
            # The user exists but Exchange Online has not made its mailbox yet (it follows the licence).
            raise RetriableError(f"The mailbox of {email} is not ready for a photo yet (Exchange Online is still setting it up)", retry_after=60)

    def set_names(self, email: str, first_name: str, last_name: str) -> None:
        email = _email(email)
        names = {"givenName": first_name or None, "surname": last_name or None, "displayName": _display_name(first_name, last_name, email)}
        self._patch_user(email, names, what=f"renaming the owner of {email}")

    def rename_mailbox(self, old_email: str, new_email: str) -> MailboxAccess:
        old_email, new_email = _email(old_email), _email(new_email)
        old, new = self._user(old_email, "id"), self._user(new_email, "id")
        if new is not None and (old is None or old["id"] == new["id"]):
            return _access(new)  # renamed already
        if old is None:
            raise TerminalError(f"{old_email} does not exist in the Microsoft 365 tenant")
        if new is not None:
            raise TerminalError(f"{new_email} already belongs to another mailbox in the Microsoft 365 tenant")
        self._call(
            "PATCH",
            f"users/{_path(old['id'])}",
            json={"userPrincipalName": new_email, "mail": new_email},
            what=f"changing the address {old_email} to {new_email}",
            permission=USERS,
        )
        return _access(old)

    def set_forwarding(self, domain: str, forward_to: str | None) -> None:
        if forward_to is None:
            return  # Mailwright never makes domain-wide forwarding here: nothing to undo
        raise TerminalError(
            f"Microsoft Graph cannot forward a whole domain's mail: at Microsoft 365 that is an Exchange Online "
            f"mail flow rule. To forward {domain} to {forward_to}, an Exchange administrator adds one in the Exchange "
            f"admin center (Mail flow → Rules → Add a rule: recipient domain is {domain}, redirect the message to "
            f"{forward_to}), and outbound forwarding must be allowed by the outbound spam policy"
        )

    def suspend_mailbox(self, email: str) -> None:
        email = _email(email)
        self._patch_user(email, {"accountEnabled": False}, what=f"disabling {email}")

    def restore_mailbox(self, email: str) -> None:
        email = _email(email)
        self._patch_user(email, {"accountEnabled": True}, what=f"enabling {email}")

    def delete_mailbox(self, email: str) -> None:
        email = _email(email)
        self._call("DELETE", f"users/{_path(email)}", what=f"deleting {email}", permission=USERS, missing_ok=True)

    def delete_workspace(self, domain: str) -> None:
        domain = _domain(domain)
        if self._domain(domain) is None:
            return  # never added, or removed already
        suffix = "@" + domain
        users = self._pages("users", {"$select": "id,userPrincipalName", "$top": str(self.PAGE_SIZE)}, what="listing the tenant's users", permission=USERS)
        mine = [u for u in users if str(u.get("userPrincipalName") or "").lower().endswith(suffix) and u.get("id")]
        for user in mine:
            self._call("DELETE", f"users/{_path(str(user['id']))}", what=f"deleting {user['userPrincipalName']}", permission=USERS, missing_ok=True)
        try:
            self._call("DELETE", f"domains/{_path(domain)}", what=f"removing the domain {domain}", permission=DOMAINS, missing_ok=True)
        except GraphRefused as exc:
            if exc.status != 400:
                raise
            if mine:  # users deleted a moment ago may still be counted against the domain
                raise RetriableError(f"Microsoft 365 does not let go of {domain} yet ({exc.graph_message})", retry_after=60) from exc
            raise NeedsActionError(
                f"Microsoft 365 keeps the domain {domain} because something still uses it ({exc.graph_message}): "
                f"remove or rename what does (groups, applications, users outside Mailwright), or use Force delete on the "
                f"domain in the Microsoft 365 admin center (Settings → Domains), which moves them to {self._initial()}"
            ) from exc

    # ------------------------------------------------------------------ users and licences

    def _user(self, email_or_id: str, select: str) -> dict[str, Any] | None:
        response = self._call(
            "GET", f"users/{_path(email_or_id)}", params={"$select": select}, what=f"looking up {email_or_id}", permission=USERS, missing_ok=True
        )
        return None if response is None else self._json(response)

    def _existing(self, email: str) -> dict[str, Any]:
        user = self._user(email, "id")
        if user is None or not user.get("id"):
            raise TerminalError(f"{email} does not exist in the Microsoft 365 tenant")
        return user

    def _patch_user(self, email: str, changes: dict[str, Any], *, what: str) -> None:
        done = self._call("PATCH", f"users/{_path(email)}", json=changes, what=what, permission=USERS, missing_ok=True)
        if done is None:
            raise TerminalError(f"{email} does not exist in the Microsoft 365 tenant")

    def _subscribed_sku(self) -> dict[str, Any]:
        skus = self._pages("subscribedSkus", {}, what="reading the tenant's licences", permission=ORGANIZATION)
        for sku in skus:
            if str(sku.get("skuPartNumber") or "").lower() == self.license_sku.lower():
                return sku
        owned = ", ".join(sorted(str(s.get("skuPartNumber")) for s in skus if s.get("skuPartNumber"))) or "none"
        raise NeedsActionError(
            f"The Microsoft 365 tenant has no subscription {self.license_sku} (MAILWRIGHT_MICROSOFT_LICENSE_SKU; the "
            f"tenant has: {owned}): buy it, or set MAILWRIGHT_MICROSOFT_LICENSE_SKU to the skuPartNumber of one it has"
        )

    def _licence_left(self, sku: dict[str, Any]) -> None:
        enabled, consumed = _units(sku)
        if enabled - consumed <= 0:
            raise self._buy(enabled, consumed)

    def _buy(self, enabled: int, consumed: int) -> NeedsActionError:
        more = max(consumed - enabled + 1, 1)
        return NeedsActionError(
            f"The Microsoft 365 tenant has no {self.license_sku} licence left ({consumed} of {enabled} in use): "
            f"buy {more} more {'licence' if more == 1 else 'licences'} of {self.license_sku} (Microsoft 365 admin center → "
            f"Billing → Your products), or free one"
        )

    def _assign_licence(self, user: dict[str, Any], email: str, sku: dict[str, Any] | None) -> None:
        held = {str(entry.get("skuId") or "").lower() for entry in user.get("assignedLicenses") or [] if isinstance(entry, dict)}
        sku = sku or self._subscribed_sku()
        sku_id = str(sku.get("skuId") or "")
        if sku_id.lower() in held:
            return
        self._licence_left(sku)
        try:
            assigned = self._call(
                "POST",
                f"users/{_path(str(user['id']))}/assignLicense",
                json={"addLicenses": [{"disabledPlans": [], "skuId": sku_id}], "removeLicenses": []},
                what=f"licensing {email} with {self.license_sku}",
                permission=USERS,
                missing_ok=True,
            )
        except GraphRefused as exc:
            if "available licenses" in exc.graph_message.lower() or "available licences" in exc.graph_message.lower():
                enabled, consumed = _units(sku)
                raise self._buy(enabled, max(consumed, enabled)) from exc
            raise
        if assigned is None:  # a user created a moment ago, not yet seen by every replica of the directory
            raise RetriableError(f"Microsoft Graph does not find the new user {email} yet to license it", retry_after=10)

    # ------------------------------------------------------------------ Graph calls

    def _access(self, *, renew: bool = False) -> _Token:
        return self._token_and_origin(renew=renew)[0]

    def _token_and_origin(self, *, renew: bool = False) -> tuple[_Token, bool]:
        """The kept token (True: kept), or a new one (False) when it is near its end, or `renew`."""
        with self._lock:
            token = self._token
            if token is not None and not renew and self._clock() < token.renew_at:
                return token, True
            started = self._clock()
            response = self.login.request(
                "POST",
                f"{urllib.parse.quote(self.tenant_id, safe='')}/oauth2/v2.0/token",
                data={
                    "client_id": self.client_id,
                    "client_secret": self._client_secret,
                    "scope": GRAPH_SCOPE,
                    "grant_type": "client_credentials",
                },
                headers={"Accept": "application/json"},
            )
            body = _body(response)
            value = body.get("access_token")
            if response.status_code != 200 or not isinstance(value, str) or not value:
                raise self._sign_in_refused(response.status_code, body)
            try:
                lifetime = float(body.get("expires_in") or 0)
            except (TypeError, ValueError):
                lifetime = 0.0
            margin = min(TOKEN_MARGIN_SECONDS, lifetime / 10)
            self._token = _Token(value, started + lifetime - margin, token_roles(value))
            return self._token, False

    def _sign_in_refused(self, status: int, body: dict[str, Any]) -> NeedsActionError:
        error = str(body.get("error") or f"HTTP {status}")
        codes = {c for c in body.get("error_codes") or [] if isinstance(c, int)}
        description = self._scrub(_first_line(str(body.get("error_description") or "")))
        if codes & _EXPIRED_SECRET:
            fix = ("the client secret has expired: create a new one (Microsoft Entra admin center → App registrations → the app → "
                   "Certificates & secrets → New client secret) and set its Value as MAILWRIGHT_MICROSOFT_CLIENT_SECRET")
        elif codes & _WRONG_SECRET or error == "invalid_client":
            fix = "the client secret is wrong: set the secret's Value (not its Secret ID) as MAILWRIGHT_MICROSOFT_CLIENT_SECRET"
        elif codes & _UNKNOWN_APP or error == "unauthorized_client":
            fix = (f"the tenant {self.tenant_id} has no enabled application {self.client_id}: check MAILWRIGHT_MICROSOFT_CLIENT_ID "
                   "(the Application (client) ID) and MAILWRIGHT_MICROSOFT_TENANT_ID")
        elif codes & _UNKNOWN_TENANT:
            fix = f"there is no tenant {self.tenant_id}: set MAILWRIGHT_MICROSOFT_TENANT_ID to the Directory (tenant) ID of the app registration"
        else:
            fix = "check MAILWRIGHT_MICROSOFT_TENANT_ID, MAILWRIGHT_MICROSOFT_CLIENT_ID and MAILWRIGHT_MICROSOFT_CLIENT_SECRET"
        return NeedsActionError(f"The Microsoft identity platform refused the app's sign-in ({error}: {description or 'no description'}): {fix}")

    def _call(
        self,
        method: str,
        path: str,
        *,
        what: str,
        permission: str,
        params: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response | None:
        """Graph's successful answer; None for a 404 when `missing_ok`; a typed error otherwise."""
        renewed = False
        body = json
        while True:
            token, kept = self._token_and_origin(renew=renewed)
            response = self.graph.request(
                method,
                path,
                params=params,
                json=body,
                content=content,
                headers={"Authorization": f"Bearer {token.value}", "Accept": "application/json", **(headers or {})},
            )
            if response.status_code == 401 and not renewed and kept:
                renewed = True  # a kept token Graph no longer takes: one new token, once
                continue
            break
        if 200 <= response.status_code < 300:
            return response
        if response.status_code == 404 and missing_ok:
            return None
        raise self._refusal(response, what, permission, token)

    def _refusal(self, response: httpx.Response, what: str, permission: str, token: _Token) -> Exception:
        code, message = _graph_error(response)
        message = self._scrub(message)
        status = response.status_code
        if status == 401:
            return NeedsActionError(
                f"Microsoft Graph refused the app's token for {what} ({code}: {message}): check that the app registration "
                f"{self.client_id} belongs to the tenant {self.tenant_id} (MAILWRIGHT_MICROSOFT_TENANT_ID)"
            )
        if status == 403:
            return NeedsActionError(
                f"Microsoft Graph denied {what} ({code}: {message}): the app registration needs the Microsoft Graph "
                f"application permission {permission} with admin consent ({CONSENT_STEPS}); roles in its token: {_roles_text(token.roles)}"
            )
        return GraphRefused(f"Microsoft 365 refused {what}: {message} ({code})", status, code, message)

    def _pages(self, path: str, params: dict[str, str], *, what: str, permission: str) -> list[dict[str, Any]]:
        """Every item of a collection, following @odata.nextLink (only ever to Graph itself)."""
        items: list[dict[str, Any]] = []
        next_path: str | None = path
        next_params: dict[str, str] | None = params
        for _ in range(MAX_PAGES):
            if next_path is None:
                return items
            page = self._json(self._call("GET", next_path, params=next_params, what=what, permission=permission))
            items += [item for item in page.get("value") or [] if isinstance(item, dict)]
            link = page.get("@odata.nextLink")
            next_path, next_params = (self._relative_link(str(link), what), None) if link else (None, None)
        raise RetriableError(f"Microsoft Graph kept answering more pages while {what}")

    def _relative_link(self, link: str, what: str) -> str:
        base = self.graph_base + "/"
        if not link.startswith(base):
            raise TerminalError(f"Microsoft Graph's next page while {what} is not on {self.graph_base}; not followed")
        return link[len(base):]

    def _json(self, response: httpx.Response | None) -> dict[str, Any]:
        body = _body(response) if response is not None else {}
        if not body and response is not None and response.content:
            raise RetriableError(f"Microsoft Graph answered {response.request.method} with something that is not JSON")
        return body

    def _scrub(self, text: str) -> str:
        """`text` without the client secret or the current token, should a service ever echo one."""
        for secret in (self._client_secret, self._token.value if self._token else ""):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text


# ---------------------------------------------------------------------- helpers


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client of the process (httpx would load the CA bundle anew for
    each client, a tenth of a second each)."""
    return httpx.create_ssl_context()


def _transport() -> httpx.HTTPTransport:
    return httpx.HTTPTransport(verify=_tls())


def mx_token(mail_exchange: str) -> str:
    """The domain's token in its MX host (contoso-com in contoso-com.mail.protection.outlook.com,
    or in contoso-com.o-v1.mx.microsoft): Microsoft's documented domainGUID of the DKIM targets."""
    return mail_exchange.rstrip(".").lower().split(".", 1)[0]


def dkim_steps(domain: str, records: tuple[RecordSpec, ...]) -> str:
    """What a person does to have Microsoft 365 sign the domain's mail, ending with the command
    that tells Mailwright it is done."""
    published = " and ".join(f"{r.name}.{domain} CNAME {r.value.rstrip('.')}" for r in records)
    return (
        f"Microsoft 365 signs the mail of {domain} with DKIM only once a person turns signing on; Microsoft Graph has no "
        f"call for it. Mailwright publishes {published}. Once they are served: in the Microsoft Defender portal "
        f"(https://security.microsoft.com) open Email & collaboration → Policies & rules → Threat policies → Email "
        f"authentication settings → DKIM, select {domain} and turn Enable on (Sign messages for this domain with DKIM "
        f"signatures); or in Exchange Online PowerShell run New-DkimSigningConfig -DomainName {domain} -Enabled $true "
        f"(Set-DkimSigningConfig -Identity {domain} -Enabled $true if the domain has a configuration already). If Microsoft "
        f"shows other CNAME targets for {domain} (Get-DkimSigningConfig -Identity {domain} | Format-List "
        f"Selector1CNAME,Selector2CNAME; domains Microsoft set up from May 2025 may point below dkim.mail.microsoft), those "
        f"are the ones to publish before signing can be turned on. Then run `mailwright dns confirm-dkim {domain}`."
    )


def token_roles(token: str) -> tuple[str, ...]:
    """The `roles` claim of an access token (a JWT), read without verifying it: only to report."""
    parts = token.split(".")
    if len(parts) != 3:
        return ()
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return ()
    roles = payload.get("roles") if isinstance(payload, dict) else None
    return tuple(sorted(str(r) for r in roles)) if isinstance(roles, list) else ()


def _roles_text(roles: tuple[str, ...]) -> str:
    return ", ".join(roles) if roles else "none"


def _units(sku: dict[str, Any]) -> tuple[int, int]:
    prepaid = sku.get("prepaidUnits") if isinstance(sku.get("prepaidUnits"), dict) else {}
    try:
        return int(prepaid.get("enabled") or 0), int(sku.get("consumedUnits") or 0)
    except (TypeError, ValueError):
        return 0, 0


def _marker(user: dict[str, Any]) -> str | None:
    attributes = user.get("onPremisesExtensionAttributes")
    return attributes.get(MARKER_ATTRIBUTE) if isinstance(attributes, dict) else None


# What the mailbox's credentials say about signing in (README "Microsoft 365": SMTP AUTH).
SIGN_IN_NOTE = (
    "SMTP with this password works once the tenant's Exchange administrator allows SMTP AUTH for it "
    "(off by default); IMAP, and SMTP where passwords are refused, need OAuth 2.0: connect with "
    "\"Sign in with Microsoft\" using this address and password"
)


def _access(user: dict[str, Any]) -> MailboxAccess:
    return MailboxAccess(str(user["id"]), SMTP_HOST, SMTP_PORT, IMAP_HOST, IMAP_PORT, sign_in_note=SIGN_IN_NOTE)


def _display_name(first_name: str, last_name: str, email: str) -> str:
    return f"{first_name} {last_name}".strip() or email.split("@", 1)[0]


def _nickname(email: str) -> str:
    return _NICKNAME_REFUSED.sub("", email.split("@", 1)[0]) or "mailbox"


def _email(email: str) -> str:
    email = email.strip().lower()
    if email.count("@") != 1 or not email.split("@")[0] or not email.split("@")[1]:
        raise TerminalError(f"{email!r} is not an email address")
    return email


def _domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def _path(segment: str) -> str:
    """One path segment for Graph (a UPN keeps its @)."""
    return urllib.parse.quote(segment, safe="@")


def _relative(label: str, domain: str) -> str:
    """A Graph label (a full name, or one already relative) as a name in the domain's zone."""
    name = label.strip().lower().rstrip(".")
    if name == domain:
        return "@"
    if name.endswith("." + domain):
        return name[: -len(domain) - 1]
    return name


def _absolute(host: str) -> str:
    return host.strip().lower().rstrip(".") + "."


def _ttl(record: dict[str, Any]) -> int:
    try:
        ttl = int(record.get("ttl") or 3600)
    except (TypeError, ValueError):
        return 3600
    return ttl if ttl > 0 else 3600


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    error = _body(response).get("error")
    if isinstance(error, dict):
        return str(error.get("code") or f"HTTP {response.status_code}"), _first_line(str(error.get("message") or "no message"))
    return f"HTTP {response.status_code}", "no error body"


def _first_line(text: str) -> str:
    """The identity platform's description without its Trace ID / Correlation ID / Timestamp lines."""
    return re.split(r"\r?\n|\s+Trace ID:", text.strip(), maxsplit=1)[0].strip()

