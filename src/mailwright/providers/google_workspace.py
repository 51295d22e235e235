"""A MailboxHost on Google Workspace (MAILWRIGHT_MAILBOX_HOSTS='{"GOOGLE": "google_workspace"}'):
real users on domains Mailwright bought, through Google's public APIs:

- OAuth 2.0 for server-to-server applications with domain-wide delegation
  (https://developers.google.com/identity/protocols/oauth2/service-account): a JWT signed with the
  service account's key (RS256; `iss` its client_email, `aud` https://oauth2.googleapis.com/token,
  `scope`, `sub` the user it acts as, `iat`/`exp`) exchanged at the key file's `token_uri` for a
  Bearer token (`access_token`, `expires_in`, `token_type`); refusals are OAuth errors
  {"error": "unauthorized_client" | "invalid_grant" | ..., "error_description"}. google-auth
  (`google.oauth2.service_account.Credentials`) builds and signs the JWT and reads the answer; its
  HTTP goes through providers/http.py like every other call here.
- Admin SDK Directory API (https://developers.google.com/workspace/admin/directory/reference/rest):
  `customer/{customer}/domains` insert, get, list, delete; `users` insert, get, update (patch
  semantics), delete, list (`domain`, `maxResults`, `pageToken` / `nextPageToken`);
  `users/{userKey}/photos/thumbnail` update (`photoData` in web-safe base64, `mimeType`);
  `users/{userKey}/aliases/{alias}` delete. Guides: "Manage user accounts" (a renamed user keeps
  its old address as an alias), "Directory API: Limits and Quotas", and the reseller guide's
  "Troubleshoot Directory API" (409 duplicate, 403 forbidden, accessNotConfigured).
- Site Verification API (https://developers.google.com/site-verification/v1): `POST /token`
  {"site": {"type": "INET_DOMAIN", "identifier"}, "verificationMethod": "DNS_TXT"} gives the TXT
  value to serve at the apex; `POST /webResource?verificationMethod=DNS_TXT` has Google look it
  up ("The necessary verification token could not be found on your site." while it cannot).
- Gmail API (https://developers.google.com/gmail/api/reference/rest/v1/users.settings/updateImap):
  `PUT /gmail/v1/users/{userId}/settings/imap` {"enabled": true}, called AS the user (a token
  whose `sub` is the user): sequencers sign in by IMAP and SMTP.
- Google's error body (https://cloud.google.com/apis/design/errors, the v1 form the Admin SDK
  answers): {"error": {"code", "message", "errors": [{"reason", "domain", "message"}], "status"}}.

Choices:
- The service account acts as MAILWRIGHT_GOOGLE_ADMIN_EMAIL (a super administrator) with the
  scopes admin.directory.user, admin.directory.domain and siteverification, and as each new user
  with gmail.settings.basic. Tokens are kept until shortly before they expire (a tenth of their
  life, at most a minute), then fetched anew; an API answering 401 to a kept token gets one new
  token and one more try. Token fetches are never retried inside a step: a throttled or failing
  token endpoint is a RetriableError like any other call.
- Every create looks first. A user carries the order's idempotency key as an external id
  (`externalIds: [{"type": "custom", "customType": "mailwright", "value": KEY}]`), so a retried
  create recognises its own user (after a crash, or a 409 duplicate) and refuses a stranger's.
  Users get the ordered names and Mailwright's password, `changePasswordAtNextLogin: false`.
- A rename changes `primaryEmail` and then removes the alias Google keeps of the old address, so
  the old address is free again as the MailboxHost protocol expects; a mailbox is found only at
  its primary address (an alias never counts as the mailbox).
- Errors: 429 and 5xx (Google's backendError) are retried through providers/http.py with
  Retry-After; 403 rateLimitExceeded / userRateLimitExceeded / quotaExceeded too. A scope not
  granted in domain-wide delegation (unauthorized_client at the token endpoint, 403
  insufficientPermissions from an API) and the other 403s (an API not enabled, an admin that is
  not one) park the item with what to fix (NeedsActionError); any other refusal is terminal, in
  Google's words. Errors name the call, never a token, a key or a password.

What no public API does (never faked):
- DKIM: Google generates a domain's DKIM key only in the Admin console. `mail_setup` asks the
  operator for it (`dkim_by_operator`, selector "google", with the console steps); Mailwright then
  publishes the TXT value the operator gives and verifies it like every record.
- Domain-wide forwarding is an Admin console routing rule: `set_forwarding` refuses with the steps
  (FORWARDING is not in SUPPORTS).
- No API enrols a 2-Step Verification authenticator seed: ONE_TIME_CODES is not in SUPPORTS.
- Gmail's SMTP and IMAP take no account password from other apps: they need OAuth 2.0 or an
  app password, which only the user can create (after turning on 2-Step Verification) and no
  Admin SDK call makes. PASSWORD_SIGN_IN is not in SUPPORTS, so exports by API refuse these
  mailboxes (exports/accounts.py) instead of adding accounts that cannot sign in."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import re
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import certifi
import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

from mailwright.config import Settings, SettingProblem, required
from mailwright.providers.base import (
    Capability,
    MailboxAccess,
    MailSetup,
    NeedsActionError,
    OperatorDkim,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp, retry_after

PROVIDER = "Google"
WHY = 'MAILWRIGHT_MAILBOX_HOSTS naming "google_workspace"'
DEFAULT_DIRECTORY_BASE = "https://admin.googleapis.com"
DEFAULT_SITE_VERIFICATION_BASE = "https://www.googleapis.com/siteVerification/v1"
DEFAULT_GMAIL_BASE = "https://gmail.googleapis.com"
DIRECTORY = "admin/directory/v1"

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
SCOPE_USERS = SCOPE_PREFIX + "admin.directory.user"
SCOPE_DOMAINS = SCOPE_PREFIX + "admin.directory.domain"
SCOPE_SITE_VERIFICATION = SCOPE_PREFIX + "siteverification"
SCOPE_GMAIL_SETTINGS = SCOPE_PREFIX + "gmail.settings.basic"
ADMIN_SCOPES = (SCOPE_USERS, SCOPE_DOMAINS, SCOPE_SITE_VERIFICATION)  # the admin's token
USER_SCOPES = (SCOPE_GMAIL_SETTINGS,)  # a user's own token, for their Gmail settings
ALL_SCOPES = ADMIN_SCOPES + USER_SCOPES
DELEGATION_PAGE = "Google Admin console → Security → Access and data control → API controls → Domain-wide delegation"

MX_HOST = "smtp.google.com."  # Google's single MX record for Workspace (priority 1)
SPF_INCLUDE = "_spf.google.com"
DKIM_SELECTOR = "google"
SMTP_HOST, SMTP_PORT = "smtp.gmail.com", 587
IMAP_HOST, IMAP_PORT = "imap.gmail.com", 993
EXTERNAL_ID_TYPE = "mailwright"  # customType of the external id holding the idempotency key
LIST_PAGE_SIZE = 500  # users.list's maximum maxResults
MAX_PAGES = 1000
EXPIRY_MARGIN_SECONDS = 60.0
USER_TOKENS_KEPT = 64  # tokens of users (for their Gmail settings) kept at once
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
PHOTO_TYPES = {"image/jpeg": "JPEG", "image/jpg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/bmp": "BMP", "image/tiff": "TIFF"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY_FIELDS = ("client_email", "client_id", "private_key", "token_uri")


def short_scope(scope: str) -> str:
    """admin.directory.user for https://www.googleapis.com/auth/admin.directory.user."""
    return scope.removeprefix(SCOPE_PREFIX)


class GoogleRefused(TerminalError):
    """A refusal in Google's words, with what callers tell refusals apart by."""

    def __init__(self, message: str, status: int, reason: str, google_message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.google_message = google_message


class ScopesNotGranted(NeedsActionError):
    """The service account's client ID lacks these scopes in domain-wide delegation."""

    def __init__(self, message: str, scopes: tuple[str, ...]) -> None:
        super().__init__(message)
        self.scopes = scopes


# ------------------------------------------------------------------ the token endpoint through ProviderHttp


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class _AuthRequest(google.auth.transport.Request):
    """google-auth's HTTP for the token endpoint, made with ProviderHttp: timeouts, and 429/5xx or
    no answer raised as Mailwright's typed errors (google-auth does not catch them, so it never
    sleeps and retries inside a step)."""

    def __init__(self, token_uri: str, timeout: float, transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(token_uri)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise ValueError("token_uri must be an http(s) URL")
        self.token_uri = token_uri
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.http = ProviderHttp(f"{PROVIDER} OAuth", f"{parts.scheme}://{parts.netloc}", timeout=timeout, transport=transport)

    def __call__(self, url: str, method: str = "GET", body: bytes | None = None, headers: Mapping[str, str] | None = None, timeout: float | None = None, **kwargs: Any) -> _AuthResponse:
        if url != self.token_uri:  # google-auth is only ever asked to refresh a service account's token
            raise google.auth.exceptions.TransportError("only the key file's token_uri is called")
        return _AuthResponse(self.http.request(method, self.path, content=body, headers=dict(headers or {})))

    def close(self) -> None:
        self.http.close()


@dataclass(frozen=True)
class _Token:
    value: str
    renew_at: float  # time.monotonic() after which a new one is fetched


class _Tokens:
    """Access tokens per (subject, scopes), kept until shortly before they expire."""

    def __init__(self, key: ServiceAccountKey, request: _AuthRequest, admin_email: str) -> None:
        self.credentials = key.credentials
        self.request = request
        self.admin_email = admin_email
        self.client_email = str(key.credentials.service_account_email)
        self.client_id = key.client_id
        self._kept: OrderedDict[tuple[str, tuple[str, ...]], _Token] = OrderedDict()
        self._lock = threading.Lock()
        self.fetched = 0  # tokens fetched by this process (for tests and logs)

    def get(self, subject: str, scopes: tuple[str, ...]) -> str:
        key = (subject.lower(), scopes)
        with self._lock:
            token = self._kept.get(key)
            if token is not None and time.monotonic() < token.renew_at:
                self._kept.move_to_end(key)
                return token.value
            token = self.fetch(subject, scopes)
            self._kept[key] = token
            self._kept.move_to_end(key)
            while len(self._kept) > USER_TOKENS_KEPT + 1:
                self._kept.popitem(last=False)
            return token.value

    def forget(self, subject: str, scopes: tuple[str, ...]) -> None:
        with self._lock:
            self._kept.pop((subject.lower(), scopes), None)

    def fetch(self, subject: str, scopes: tuple[str, ...]) -> _Token:
        """A new token from the token endpoint (not kept): typed errors for every refusal."""
        credentials = self.credentials.with_scopes(list(scopes)).with_subject(subject)
        try:
            credentials.refresh(self.request)
        except google.auth.exceptions.RefreshError as exc:
            raise self._refused(exc, subject, scopes) from None
        except google.auth.exceptions.GoogleAuthError as exc:
            raise ProviderUnavailable(f"{PROVIDER}'s token endpoint gave no usable answer ({type(exc).__name__})") from None
        self.fetched += 1
        if not credentials.token:
            raise RetriableError(f"{PROVIDER}'s token endpoint answered without an access token")
        lifetime = 3600.0
        if credentials.expiry is not None:
            expiry = credentials.expiry if credentials.expiry.tzinfo else credentials.expiry.replace(tzinfo=dt.timezone.utc)
            lifetime = max((expiry - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0.0)
        margin = min(EXPIRY_MARGIN_SECONDS, lifetime / 10)
        return _Token(str(credentials.token), time.monotonic() + lifetime - margin)

    def _refused(self, exc: google.auth.exceptions.RefreshError, subject: str, scopes: tuple[str, ...]) -> Exception:
        data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
        error = str(data.get("error") or "")
        description = str(data.get("error_description") or "")
        said = f"{error}: {description}" if error else "no reason given"
        acting = f"the service account {self.client_email} acting as {subject}"
        if getattr(exc, "retryable", False):
            return RetriableError(f"{PROVIDER}'s token endpoint failed for {acting} ({said})")
        if error == "unauthorized_client":
            missing = self._missing(subject, scopes) if len(scopes) > 1 else scopes
            return ScopesNotGranted(scopes_message(self.client_email, self.client_id, subject, missing, said), missing)
        if error == "invalid_grant" and "email or user id" in description.lower():
            if subject.lower() == self.admin_email.lower():
                return NeedsActionError(
                    f"{PROVIDER} does not know {subject} as a user of the Google Workspace account ({said}): "
                    "MAILWRIGHT_GOOGLE_ADMIN_EMAIL must be a super administrator's address"
                )
            # A user created moments ago may not sign in yet: Google's directory is still propagating.
            return RetriableError(f"{PROVIDER} does not let {acting} sign in yet ({said})", retry_after=30)
        if error == "invalid_grant" and "signature" in description.lower():
            return NeedsActionError(
                f"{PROVIDER} refused the key of {self.client_email} ({said}): the key in "
                "MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE was deleted or revoked; create a new JSON key for the "
                "service account (Google Cloud console → IAM & Admin → Service accounts → Keys) and point the setting at it"
            )
        if not error:  # an answer google-auth could not read (no token in it): Google's hiccup
            return RetriableError(f"{PROVIDER}'s token endpoint gave {acting} no token ({exc.args[0] if exc.args else 'no reason given'})")
        # 429 and 5xx never get here (ProviderHttp raised them): any other refusal is the set-up's.
        return NeedsActionError(
            f"{PROVIDER} refused a token to {acting} ({said}): check the service account and its key "
            "(MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE), its domain-wide delegation and the machine's clock"
        )

    def _missing(self, subject: str, scopes: tuple[str, ...]) -> tuple[str, ...]:
        """Which of `scopes` the client is not granted, each asked for alone."""
        missing = []
        for scope in scopes:
            try:
                self.fetch(subject, (scope,))
            except ScopesNotGranted:
                missing.append(scope)
            except (NeedsActionError, RetriableError):
                return scopes
        return tuple(missing) or scopes


def scopes_message(client_email: str, client_id: str, subject: str, scopes: tuple[str, ...], said: str) -> str:
    client = f"the client ID {client_id} of {client_email}" if client_id else client_email
    return (
        f"{PROVIDER} has not granted the scope{'s' if len(scopes) > 1 else ''} {', '.join(short_scope(s) for s in scopes)} "
        f"to the service account {client_email} acting as {subject} ({said}): in the {DELEGATION_PAGE}, give {client} "
        f"these OAuth scopes: {','.join(scopes)}"
    )


# ------------------------------------------------------------------ the adapter


class GoogleWorkspaceHost:
    """GOOGLE mailboxes as Google Workspace users (module docstring)."""

    # Domain-wide forwarding and 2-Step Verification seeds have no API (module docstring).
    SUPPORTS = frozenset({Capability.HOST_DOMAINS, Capability.MAILBOXES, Capability.PROFILE_PHOTOS})
    # The Directory API allows 2,400 queries per minute per user per Google Cloud project; a step
    # makes at most about six calls (look up, create, IMAP as the user, tokens): 60 steps a minute
    # stay far below it, leaving room for the operator's own use of the project.
    STEP_RATE = (60, 60)
    USERS_PER_PAGE = LIST_PAGE_SIZE

    def __init__(
        self,
        key: ServiceAccountKey,
        admin_email: str,
        customer_id: str = "my_customer",
        *,
        directory_base: str = DEFAULT_DIRECTORY_BASE,
        site_verification_base: str = DEFAULT_SITE_VERIFICATION_BASE,
        gmail_base: str = DEFAULT_GMAIL_BASE,
        provider: str = "GOOGLE",
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.provider = provider
        self.admin_email = admin_email.strip().lower()
        self.customer_id = customer_id.strip()
        # One connection pool for the four APIs, with the process's one TLS context (slow to load).
        self._transport = httpx.HTTPTransport(verify=_tls_context())
        self._auth = _AuthRequest(key.token_uri, timeout, self._transport)
        self.tokens = _Tokens(key, self._auth, self.admin_email)
        self.directory = ProviderHttp(PROVIDER, directory_base, timeout=timeout, transport=self._transport)
        self.site_verification = ProviderHttp(f"{PROVIDER} Site Verification", site_verification_base, timeout=timeout, transport=self._transport)
        self.gmail = ProviderHttp(f"{PROVIDER} Gmail", gmail_base, timeout=timeout, transport=self._transport)

    @classmethod
    def from_settings(cls, settings: Settings, provider: str = "GOOGLE") -> GoogleWorkspaceHost:
        key_file = required(settings, "google_service_account_file", WHY)
        admin = required(settings, "google_admin_email", WHY)
        if not _EMAIL.match(admin):
            raise SettingProblem("google_admin_email", "must be the email address of a super administrator of the Google Workspace account, e.g. admin@example.com")
        customer = required(settings, "google_customer_id", WHY)
        bases = {}
        for field, default in (
            ("google_directory_base", DEFAULT_DIRECTORY_BASE),
            ("google_site_verification_base", DEFAULT_SITE_VERIFICATION_BASE),
            ("google_gmail_base", DEFAULT_GMAIL_BASE),
        ):
            value = required(settings, field, WHY)
            if not value.startswith(("https://", "http://")):
                raise SettingProblem(field, f"must be an http(s) URL such as {default}")
            bases[field] = value
        return cls(
            load_service_account(key_file),
            admin,
            customer,
            directory_base=bases["google_directory_base"],
            site_verification_base=bases["google_site_verification_base"],
            gmail_base=bases["google_gmail_base"],
            provider=provider,
        )

    def close(self) -> None:
        for http in (self.directory, self.site_verification, self.gmail, self._auth):
            http.close()
        self._transport.close()

    # ------------------------------------------------------------------ check

    def probe(self) -> str:
        """A token per scope (which ones domain-wide delegation grants), then the customer's
        domains list, the cheapest Directory call."""
        granted, missing = [], []
        for scope in ALL_SCOPES:
            try:
                self.tokens.fetch(self.admin_email, (scope,))
            except ScopesNotGranted:
                missing.append(scope)
            else:
                granted.append(scope)
        if missing:
            grant = scopes_message(self.tokens.client_email, self.tokens.client_id, self.admin_email, tuple(missing), "unauthorized_client")
            has = f"granted: {', '.join(short_scope(s) for s in granted)}; " if granted else "none granted; "
            raise NeedsActionError(f"{has}{grant}")
        domains = self._domains()
        return (
            f"Service account {self.tokens.client_email} acting as {self.admin_email}: scopes "
            f"{', '.join(short_scope(s) for s in granted)}; {len(domains)} domain{'' if len(domains) == 1 else 's'} "
            f"in the Google Workspace account ({self.customer_id})"
        )

    # ------------------------------------------------------------------ domains

    def add_domain(self, domain: str) -> tuple[RecordSpec, ...]:
        domain = _domain(domain)
        token = self._site_token(domain)
        self._ensure_domain(domain)
        return (RecordSpec("TXT", "@", token),)

    def verify_domain(self, domain: str) -> None:
        domain = _domain(domain)
        resource = self._domain_resource(domain)
        if resource is None:  # removed meanwhile, or never added: add it again (idempotent)
            self._ensure_domain(domain)
        elif resource.get("verified") is True:
            return
        try:
            self._call(
                self.site_verification,
                "POST",
                "webResource?verificationMethod=DNS_TXT",
                json={"site": {"type": "INET_DOMAIN", "identifier": domain}},
                what=f"verifying {domain}",
                scope=SCOPE_SITE_VERIFICATION,
            )
        except GoogleRefused as exc:
            if exc.status == 400 and "token" in exc.google_message.lower():
                raise RetriableError(
                    f"{PROVIDER} does not see the verification TXT record of {domain} yet ({exc.google_message})", retry_after=60
                ) from None
            raise
        resource = self._domain_resource(domain)
        if resource is None or resource.get("verified") is not True:
            raise RetriableError(f"{PROVIDER} verified the ownership of {domain}; its Google Workspace domain is not marked verified yet", retry_after=30)

    def mail_setup(self, domain: str) -> MailSetup:
        domain = _domain(domain)
        return MailSetup(
            mx=(RecordSpec("MX", "@", MX_HOST, priority=1),),
            spf_includes=(SPF_INCLUDE,),
            dkim=None,
            dkim_by_operator=OperatorDkim(selector=DKIM_SELECTOR, steps=dkim_steps(domain)),
        )

    def set_forwarding(self, domain: str, forward_to: str | None) -> None:
        if forward_to is None:
            return  # Mailwright never makes a routing rule at Google, so there is none to undo
        raise TerminalError(
            f"Google Workspace has no API for domain-wide forwarding, so Mailwright cannot forward {domain} to {forward_to}. "
            f"A person can: in the Google Admin console, Apps → Google Workspace → Gmail → Routing, add a routing rule for "
            f"{domain} (inbound messages: add more recipients or change the envelope recipient to {forward_to})"
        )

    def delete_workspace(self, domain: str) -> None:
        domain = _domain(domain)
        if self._domain_resource(domain) is None:
            return  # not in the account (removed already): no user can be on it either
        for user in list(self._users_of(domain)):
            email = str(user.get("primaryEmail") or "").lower()
            if email == self.admin_email:
                continue  # never the administrator Mailwright acts as
            self._call(self.directory, "DELETE", f"{DIRECTORY}/users/{_key(str(user['id']))}", what=f"deleting {email}", scope=SCOPE_USERS, allow=(404,))
        self._call(
            self.directory,
            "DELETE",
            f"{DIRECTORY}/customer/{_key(self.customer_id)}/domains/{_key(domain)}",
            what=f"removing the domain {domain}",
            scope=SCOPE_DOMAINS,
            allow=(404,),
        )

    # ------------------------------------------------------------------ users

    def find_mailbox(self, email: str) -> MailboxAccess | None:
        email = _email(email)
        user = self._user(email)
        if user is None or _primary(user) != email:
            return None  # no user, or the address is another user's alias
        return _access(user)

    def create_mailbox(self, email: str, first_name: str, last_name: str, password: str, idempotency_key: str) -> MailboxAccess:
        email = _email(email)
        user = self._user(email)
        if user is None:
            body = {
                "primaryEmail": email,
                "name": {"givenName": first_name, "familyName": last_name},
                "password": password,
                "changePasswordAtNextLogin": False,
                "externalIds": [{"type": "custom", "customType": EXTERNAL_ID_TYPE, "value": idempotency_key}],
            }
            try:
                response = self._call(self.directory, "POST", f"{DIRECTORY}/users", json=body, what=f"creating {email}", scope=SCOPE_USERS)
                user = _json(response, f"creating {email}")
            except GoogleRefused as exc:
                if exc.status != 409:
                    raise
                user = self._user(email)  # created meanwhile (an earlier try whose answer was lost), or someone else's
                if user is None:
                    raise TerminalError(
                        f"{PROVIDER} refused to create {email} ({exc.google_message}): the address belongs to a Google "
                        "account outside this Google Workspace account (a conflicting account); choose another address, "
                        "or resolve the conflict in the Google Admin console"
                    ) from None
        if not _is_ours(user, email, idempotency_key):
            owner = "is an alias of another user" if _primary(user) != email else "exists and was not created for this mailbox"
            raise TerminalError(f"{email} already {owner} at Google Workspace")
        self._enable_imap(email)
        return _access(user)

    def set_profile_picture(self, email: str, image: bytes, content_type: str) -> None:
        email = _email(email)
        mime = PHOTO_TYPES.get(content_type.split(";")[0].strip().lower())
        if mime is None:
            raise TerminalError(f"Google Workspace takes JPEG, PNG, GIF, BMP or TIFF photos, not {content_type}")
        body = {"photoData": base64.urlsafe_b64encode(image).decode("ascii"), "mimeType": mime}
        response = self._call(
            self.directory, "PUT", f"{DIRECTORY}/users/{_key(email)}/photos/thumbnail", json=body, what=f"setting the photo of {email}", scope=SCOPE_USERS, allow=(404,)
        )
        if response.status_code == 404:
            raise TerminalError(f"{email} does not exist at Google Workspace")

    def set_names(self, email: str, first_name: str, last_name: str) -> None:
        email = _email(email)
        self._update_user(email, {"name": {"givenName": first_name, "familyName": last_name}}, f"renaming the person of {email}")

    def rename_mailbox(self, old_email: str, new_email: str) -> MailboxAccess:
        old_email, new_email = _email(old_email), _email(new_email)
        new, old = self._user(new_email), self._user(old_email)
        if new is not None and _primary(new) == new_email:
            if old is not None and old.get("id") != new.get("id"):
                raise TerminalError(f"{new_email} already belongs to another mailbox at Google Workspace")
            if old is not None:  # renamed already; the alias of the old address is still there
                self._remove_alias(new, old_email)
            return _access(new)
        if new is not None and (old is None or new.get("id") != old.get("id")):
            raise TerminalError(f"{new_email} is already an address of another mailbox at Google Workspace")
        if old is None or _primary(old) != old_email:
            raise TerminalError(f"Neither {old_email} nor {new_email} is a mailbox at Google Workspace")
        try:
            response = self._call(
                self.directory,
                "PUT",
                f"{DIRECTORY}/users/{_key(str(old['id']))}",
                json={"primaryEmail": new_email},
                what=f"renaming {old_email} to {new_email}",
                scope=SCOPE_USERS,
            )
        except GoogleRefused as exc:
            if exc.status == 409:
                raise TerminalError(f"{new_email} already belongs to another account at Google ({exc.google_message})") from None
            raise
        renamed = _json(response, f"renaming {old_email}")
        self._remove_alias(renamed, old_email)
        return _access(renamed)

    def suspend_mailbox(self, email: str) -> None:
        email = _email(email)
        self._update_user(email, {"suspended": True}, f"suspending {email}")

    def restore_mailbox(self, email: str) -> None:
        email = _email(email)
        self._update_user(email, {"suspended": False}, f"restoring {email}")

    def delete_mailbox(self, email: str) -> None:
        email = _email(email)
        user = self._user(email)
        if user is None or _primary(user) != email:
            return  # gone already (an alias is another user's mailbox: never deleted through it)
        self._call(self.directory, "DELETE", f"{DIRECTORY}/users/{_key(str(user['id']))}", what=f"deleting {email}", scope=SCOPE_USERS, allow=(404,))

    # ------------------------------------------------------------------ calls

    def _site_token(self, domain: str) -> str:
        response = self._call(
            self.site_verification,
            "POST",
            "token",
            json={"site": {"type": "INET_DOMAIN", "identifier": domain}, "verificationMethod": "DNS_TXT"},
            what=f"getting the verification token of {domain}",
            scope=SCOPE_SITE_VERIFICATION,
        )
        token = _json(response, f"getting the verification token of {domain}").get("token")
        if not isinstance(token, str) or not token.strip():
            raise RetriableError(f"{PROVIDER} answered the verification token of {domain} without a token")
        return token.strip()

    def _ensure_domain(self, domain: str) -> None:
        try:
            self._call(
                self.directory,
                "POST",
                f"{DIRECTORY}/customer/{_key(self.customer_id)}/domains",
                json={"domainName": domain},
                what=f"adding the domain {domain}",
                scope=SCOPE_DOMAINS,
            )
        except GoogleRefused as exc:
            if exc.status == 412:
                raise NeedsActionError(
                    f"{PROVIDER} refused to add {domain} ({exc.google_message}): the Google Workspace subscription must allow secondary domains"
                ) from None
            if exc.status != 409:
                raise
            if self._domain_resource(domain) is None:
                raise TerminalError(
                    f"{domain} belongs to another Google Workspace or Cloud Identity account ({PROVIDER}: {exc.google_message}); "
                    "its owner must remove it there before it can be added here"
                ) from None

    def _domain_resource(self, domain: str) -> dict[str, Any] | None:
        response = self._call(
            self.directory,
            "GET",
            f"{DIRECTORY}/customer/{_key(self.customer_id)}/domains/{_key(domain)}",
            what=f"looking up the domain {domain}",
            scope=SCOPE_DOMAINS,
            allow=(404,),
        )
        return None if response.status_code == 404 else _json(response, f"looking up the domain {domain}")

    def _domains(self) -> list[dict[str, Any]]:
        response = self._call(self.directory, "GET", f"{DIRECTORY}/customer/{_key(self.customer_id)}/domains", what="listing the domains", scope=SCOPE_DOMAINS)
        domains = _json(response, "listing the domains").get("domains") or []
        return [d for d in domains if isinstance(d, dict)] if isinstance(domains, list) else []

    def _user(self, key: str) -> dict[str, Any] | None:
        response = self._call(self.directory, "GET", f"{DIRECTORY}/users/{_key(key)}", what=f"looking up {key}", scope=SCOPE_USERS, allow=(404,))
        return None if response.status_code == 404 else _json(response, f"looking up {key}")

    def _users_of(self, domain: str) -> Iterator[dict[str, Any]]:
        """Every user whose primary address is on `domain`, following nextPageToken."""
        token: str | None = None
        for _ in range(MAX_PAGES):
            params = {"domain": domain, "maxResults": str(self.USERS_PER_PAGE)}
            if token:
                params["pageToken"] = token
            page = _json(self._call(self.directory, "GET", f"{DIRECTORY}/users", params=params, what=f"listing the users of {domain}", scope=SCOPE_USERS), f"listing the users of {domain}")
            for user in page.get("users") or []:
                if isinstance(user, dict) and user.get("id") and _primary(user).endswith("@" + domain):
                    yield user
            token = page.get("nextPageToken") or None
            if not token:
                return

    def _update_user(self, email: str, changes: dict[str, Any], what: str) -> None:
        response = self._call(self.directory, "PUT", f"{DIRECTORY}/users/{_key(email)}", json=changes, what=what, scope=SCOPE_USERS, allow=(404,))
        if response.status_code == 404:
            raise TerminalError(f"{email} does not exist at Google Workspace")

    def _remove_alias(self, user: dict[str, Any], alias: str) -> None:
        self._call(
            self.directory,
            "DELETE",
            f"{DIRECTORY}/users/{_key(str(user['id']))}/aliases/{_key(alias)}",
            what=f"removing the old address {alias}",
            scope=SCOPE_USERS,
            allow=(404,),
        )

    def _enable_imap(self, email: str) -> None:
        """IMAP on, as the user: sequencers sign in by IMAP and SMTP."""
        try:
            self._call(
                self.gmail,
                "PUT",
                f"gmail/v1/users/{_key(email)}/settings/imap",
                json={"enabled": True},
                what=f"enabling IMAP for {email}",
                scope=SCOPE_GMAIL_SETTINGS,
                subject=email,
                scopes=USER_SCOPES,
            )
        except GoogleRefused as exc:
            if exc.reason == "failedPrecondition" or exc.status == 412:
                # "Mail service not enabled": Gmail of a new user takes a while to exist.
                raise RetriableError(f"Gmail of {email} is not ready yet ({exc.google_message})", retry_after=60) from None
            raise

    def _call(
        self,
        api: ProviderHttp,
        method: str,
        path: str,
        *,
        what: str,
        scope: str,
        subject: str | None = None,
        scopes: tuple[str, ...] = ADMIN_SCOPES,
        allow: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> httpx.Response:
        """Google's answer to one call with a kept token (a new one once, on 401); 2xx and `allow`
        are returned, everything else raised as the module docstring says."""
        subject = subject or self.admin_email
        response: httpx.Response | None = None
        for attempt in range(2):
            token = self.tokens.get(subject, scopes)
            response = api.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)
            if response.status_code != 401:
                break
            self.tokens.forget(subject, scopes)
        assert response is not None
        if response.is_success or response.status_code in allow:
            return response
        raise self._refusal(response, what, scope, subject)

    def _refusal(self, response: httpx.Response, what: str, scope: str, subject: str) -> Exception:
        status = response.status_code
        message, reasons = _google_error(response)
        said = f"{message} ({', '.join(reasons)})" if reasons else message
        if status == 401:
            return NeedsActionError(f"{PROVIDER} refused a new access token while {what} ({said}): check the service account's key and domain-wide delegation")
        if status == 403 and RATE_REASONS.intersection(reasons):
            return RetriableError(f"{PROVIDER} rate-limited {what} ({said})", retry_after=retry_after(response))
        if "user creation is not complete" in message.lower():
            return RetriableError(f"{PROVIDER} is still creating the user while {what} ({said})", retry_after=30)
        if status == 403 and "insufficientPermissions" in reasons:
            return ScopesNotGranted(scopes_message(self.tokens.client_email, self.tokens.client_id, subject, (scope,), said), (scope,))
        if status == 403 and "accessNotConfigured" in reasons:
            return NeedsActionError(
                f"{PROVIDER} refused {what}: the API is not enabled in the service account's Google Cloud project ({said}); "
                "enable the Admin SDK API, the Google Site Verification API and the Gmail API (Google Cloud console → APIs & Services → Library)"
            )
        if status == 403:
            return NeedsActionError(
                f"{PROVIDER} refused {what} ({said}): MAILWRIGHT_GOOGLE_ADMIN_EMAIL ({self.admin_email}) must be a super "
                "administrator of the Google Workspace account, and the address's domain one of its domains"
            )
        return GoogleRefused(f"{PROVIDER} refused {what}: {said}", status, reasons[0] if reasons else "", message)


# ------------------------------------------------------------------ helpers


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """httpx's default verification (certifi's CA bundle), loaded once per process."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class ServiceAccountKey:
    credentials: service_account.Credentials
    client_id: str  # the number domain-wide delegation grants scopes to
    token_uri: str  # where tokens are asked for (Google's, or a test's emulator)


def load_service_account(path: str) -> ServiceAccountKey:
    """A service account's JSON key file as credentials, client ID and token URI; SettingProblem
    naming MAILWRIGHT_GOOGLE_SERVICE_ACCOUNT_FILE when the file is missing, unreadable or not
    such a key. Never shows the key."""
    field = "google_service_account_file"
    what = "the JSON key file of a Google Cloud service account (IAM & Admin → Service accounts → Keys → Add key → JSON)"
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingProblem(field, f"{path} does not exist: it must be {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        raise SettingProblem(field, f"{path} cannot be read ({reason}): it must be {what}") from None
    try:
        info = json.loads(text)
    except ValueError:
        raise SettingProblem(field, f"{path} is not JSON: it must be {what}") from None
    if not isinstance(info, dict) or info.get("type") != "service_account":
        kind = info.get("type") if isinstance(info, dict) else None
        raise SettingProblem(field, f"{path} is not a service account key (its type is {kind!r}): it must be {what}")
    missing = [name for name in _KEY_FIELDS if not isinstance(info.get(name), str) or not info[name].strip()]
    if missing:
        raise SettingProblem(field, f"{path} lacks {', '.join(missing)}: it must be {what}")
    if urlsplit(info["token_uri"].strip()).scheme not in ("https", "http"):
        raise SettingProblem(field, f"{path} has a token_uri that is not an http(s) URL")
    info = info | {"token_uri": info["token_uri"].strip()}
    try:
        credentials = service_account.Credentials.from_service_account_info(info)
    except (ValueError, TypeError, KeyError):
        raise SettingProblem(field, f"{path} holds a private key that cannot be read: create a new JSON key for the service account") from None
    return ServiceAccountKey(credentials, str(info["client_id"]).strip(), info["token_uri"])


def dkim_steps(domain: str) -> str:
    return (
        f"Google Workspace makes the DKIM key of {domain} only in its Admin console: sign in at admin.google.com as an "
        f"administrator, go to Apps → Google Workspace → Gmail → Authenticate email, select {domain}, press "
        f"Generate new record with the key length 2048-bit and the prefix selector \"google\", then give Mailwright the "
        f"TXT record value shown: mailwright dns set-dkim {domain} --selector google --value '<the TXT value shown>'. "
        f"Once Mailwright has published it and it is served, press Start authentication in the same page."
    )


def _google_error(response: httpx.Response) -> tuple[str, tuple[str, ...]]:
    """Google's message and the reasons of its errors[] (v1 error format)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return f"HTTP {response.status_code}", ()
    message = str(error.get("message") or f"HTTP {response.status_code}")
    reasons = tuple(str(e["reason"]) for e in error.get("errors") or [] if isinstance(e, dict) and e.get("reason"))
    if not reasons and error.get("status"):
        reasons = (str(error["status"]),)
    return message, reasons


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RetriableError(f"{PROVIDER} answered {what} with HTTP {response.status_code} and no JSON object")
    return body


def _access(user: dict[str, Any]) -> MailboxAccess:
    if not user.get("id"):
        raise RetriableError(f"{PROVIDER} answered about a user without its id")
    return MailboxAccess(str(user["id"]), SMTP_HOST, SMTP_PORT, IMAP_HOST, IMAP_PORT)


def _primary(user: dict[str, Any]) -> str:
    return str(user.get("primaryEmail") or "").lower()


def _is_ours(user: dict[str, Any], email: str, idempotency_key: str) -> bool:
    if _primary(user) != email:
        return False
    external = user.get("externalIds") or []
    return isinstance(external, list) and any(
        isinstance(e, dict) and e.get("customType") == EXTERNAL_ID_TYPE and e.get("value") == idempotency_key for e in external
    )


def _key(value: str) -> str:
    """A path segment (an email address, a domain, an id)."""
    return quote(value, safe="@.+")


def _email(email: str) -> str:
    return email.strip().lower()


def _domain(domain: str) -> str:
    return domain.strip().rstrip(".").lower()
