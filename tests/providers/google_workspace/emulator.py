"""A loopback emulator of the Google APIs a Google Workspace mailbox host uses, written from
Google's public documentation (not from Mailwright's adapter). One HTTP server serves:

- the OAuth 2.0 token endpoint, `POST /token`, as "Using OAuth 2.0 for Server to Server
  Applications" describes it (https://developers.google.com/identity/protocols/oauth2/service-account):
  the JWT-bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`, `assertion`);
  the JWT's RS256 signature is checked against the service account's public key, `iss` must be
  its client_email, `aud` https://oauth2.googleapis.com/token ("When making an access token
  request this value is always https://oauth2.googleapis.com/token"), `iat`/`exp` at most an hour
  apart and about now, `scope` space-separated; with `sub` (domain-wide delegation,
  https://support.google.com/a/answer/162106) the subject must be a user of the customer and
  every scope granted to the client ID. Answers {"access_token", "expires_in", "token_type":
  "Bearer"}; refusals are OAuth errors {"error", "error_description"}: 401 unauthorized_client
  ("Client is unauthorized to retrieve access tokens using this method, or client not authorized
  for any of the scopes requested."), 400 invalid_grant ("Invalid JWT Signature.", "Invalid email
  or User ID", ...).
- the Admin SDK Directory API (https://developers.google.com/workspace/admin/directory/reference/rest/v1):
  `customer/{customer}/domains` (insert, get, list, delete; the Domains resource: kind, etag,
  domainName, isPrimary, verified, creationTime), `users` (insert: 201 as the "Manage user
  accounts" guide says; get by primary address, alias or id; update/patch with patch semantics;
  delete; list with `customer` or `domain`, `maxResults` and `pageToken`/`nextPageToken`),
  `users/{userKey}/photos/thumbnail` (web-safe base64 `photoData`, `mimeType`, kept 96x96),
  `users/{userKey}/aliases` (list, delete). A renamed user keeps its old address as an alias
  ("Manage user accounts"). A user key on a domain outside the customer is answered 403
  forbidden and a taken address 409 duplicate, as "Troubleshoot Directory API" (reseller guide)
  describes. Scopes per method as the reference lists them; the caller must be a super admin
  (403 "Not Authorized to access this resource/api" otherwise).
- the Site Verification API (https://developers.google.com/site-verification/v1): `POST
  /siteVerification/v1/token` ({"method", "token"}: "google-site-verification=..." for DNS_TXT,
  one per owner and domain) and `POST /siteVerification/v1/webResource?verificationMethod=DNS_TXT`,
  which queries the domain's TXT records OVER REAL DNS at `dns_server` (dnspython) and verifies
  only if the owner's token is served; otherwise 400 "The necessary verification token could not
  be found on your site." A verified domain of the customer, verified by one of its super admins,
  becomes `verified` in the Directory (after `verify_lag` more domains.get answers).
- the Gmail API's IMAP settings (https://developers.google.com/gmail/api/reference/rest/v1/users.settings/getImap,
  .../updateImap): `GET|PUT /gmail/v1/users/{userId}/settings/imap` (ImapSettings: enabled,
  autoExpunge, expungeBehavior, maxFolderSize), for the token's own subject only ("me" or its
  address; another user: 403 "Delegation denied for ..."); a user whose mailbox is not set up yet
  gets 400 failedPrecondition "Mail service not enabled".
- Google's v1 error body everywhere (https://cloud.google.com/apis/design/errors):
  {"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}}; an
  unknown, expired or revoked token: 401 authError "Invalid Credentials"; a token without the
  method's scope: 403 insufficientPermissions "Request had insufficient authentication scopes."
  Quotas ("Directory API: Limits and Quotas"): 403 userRateLimitExceeded / quotaExceeded, 429
  rateLimitExceeded, 503 backendError — injected with `fail_next`.

Where the documentation names no exact answer, this emulator's choice is said at the place
(e.g. domains.delete of a domain that still has users: 400 invalid).

Driving it (tests and end-to-end tests alike):
    emulator = GoogleWorkspaceEmulator(dns_server=("127.0.0.1", port)).start()
    account = emulator.add_service_account(tmp_path / "key.json")     # key file, token_uri = emulator
    settings = emulator.settings(account.key_file)                     # Settings(**...) / env for serve
    ...                                                                # emulator.users, .domains, ...
    emulator.stop()
State in plain attributes (read and change them under `emulator.lock`): `domains`,
`foreign_domains`, `users` (id -> User resource), `passwords`, `aliases`, `photos`, `imap`,
`conflicting_accounts`, `mail_service_pending`, `delegation` (client ID -> scopes granted),
`token_requests` (claims of every token request), `calls`. Faults: `fail_next` (any Google error
body on the next matching API calls), `fail_token_next` (the token endpoint), `lose_answer_next`
(perform the call, then answer 503 as if the answer was lost), `slow_next` (perform it, answer
late), `token_lifetime`, `page_size`,
`verify_lag`, `secondary_domains_allowed`, `expire_tokens()`, `revoke_key()`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support import loopback_http

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUTH = "https://www.googleapis.com/auth/"
USER_SCOPE = AUTH + "admin.directory.user"
USER_READONLY = AUTH + "admin.directory.user.readonly"
ALIAS_SCOPE = AUTH + "admin.directory.user.alias"
DOMAIN_SCOPE = AUTH + "admin.directory.domain"
DOMAIN_READONLY = AUTH + "admin.directory.domain.readonly"
SITE_SCOPE = AUTH + "siteverification"
SITE_VERIFY_ONLY = AUTH + "siteverification.verify_only"
GMAIL_SETTINGS_BASIC = AUTH + "gmail.settings.basic"
GMAIL_READ = (AUTH + "gmail.readonly", AUTH + "gmail.modify", "https://mail.google.com/")
# What a service account used by a mailbox host is granted by default in these tests.
DEFAULT_GRANT = frozenset({USER_SCOPE, DOMAIN_SCOPE, SITE_SCOPE, GMAIL_SETTINGS_BASIC})
DIRECTORY = "/admin/directory/v1"
SITE = "/siteVerification/v1"
GMAIL = "/gmail/v1"
STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
DEFAULT_MESSAGES = {
    "rateLimitExceeded": "Rate Limit Exceeded",
    "userRateLimitExceeded": "User Rate Limit Exceeded",
    "quotaExceeded": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'",
    "backendError": "Backend Error",
    "internalError": "Internal error encountered.",
    "insufficientPermissions": "Request had insufficient authentication scopes.",
    "forbidden": "Not Authorized to access this resource/api",
    "accessNotConfigured": "Admin SDK API has not been used in project 123456789012 before or it is disabled.",
    "invalid": "Invalid Input",
    "duplicate": "Entity already exists.",
    "notFound": "Resource Not Found",
    "failedPrecondition": "Precondition check failed.",
}
USAGE_LIMIT_REASONS = ("rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "accessNotConfigured")
NOT_AUTHORIZED = "Not Authorized to access this resource/api"
TOKEN_NOT_FOUND = "The necessary verification token could not be found on your site."
UNAUTHORIZED_CLIENT = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
PHOTO_MAGIC = {"JPEG": (b"\xff\xd8\xff",), "PNG": (b"\x89PNG\r\n\x1a\n",), "GIF": (b"GIF87a", b"GIF89a"), "BMP": (b"BM",), "TIFF": (b"II*\x00", b"MM\x00*")}


_SHARED_KEY: list[rsa.RSAPrivateKey] = []


def shared_key() -> rsa.RSAPrivateKey:
    """One 2048-bit RSA key per test process, as Google Cloud issues for service accounts."""
    if not _SHARED_KEY:
        _SHARED_KEY.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return _SHARED_KEY[0]


class GoogleError(Exception):
    """An answer in Google's v1 error format."""

    def __init__(self, status: int, reason: str, message: str | None = None, *, domain: str | None = None, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.message = message or DEFAULT_MESSAGES.get(reason, "Bad Request")
        self.domain = domain or ("usageLimits" if reason in USAGE_LIMIT_REASONS else "global")
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.reason, self.message, self.domain)


# errors[].message where Google words it apart from the top-level message.
ITEM_MESSAGES = {"insufficientPermissions": "Insufficient Permission", "authError": "Invalid Credentials"}


def error_body(status: int, reason: str, message: str, domain: str = "global") -> dict[str, Any]:
    item: dict[str, Any] = {"message": ITEM_MESSAGES.get(reason, message), "domain": domain, "reason": reason}
    if reason == "authError":
        item.update({"location": "Authorization", "locationType": "header"})
    error: dict[str, Any] = {"code": status, "message": message, "errors": [item]}
    if status in STATUS_TEXT:
        error["status"] = STATUS_TEXT[status]
    return {"error": error}


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class ServiceAccount:
    client_email: str
    client_id: str
    private_key_id: str
    public_key: rsa.RSAPublicKey
    key_file: Path
    revoked: bool = False


@dataclass
class Grant:
    client_id: str
    subject: str | None  # the user acted as (domain-wide delegation), None for the account itself
    scopes: frozenset[str]
    expires_at: float  # time.monotonic()


@dataclass
class Fault:
    status: int
    reason: str
    message: str | None
    times: int
    retry_after: float | None
    path: str | None  # a part of the path it applies to; None: any API call
    domain: str | None = None


@dataclass
class _Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    grant: Grant
    raw_path: str = ""
    extra_headers: dict[str, str] = field(default_factory=dict)


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _etag(value: Any) -> str:
    return '"' + base64.urlsafe_b64encode(hashlib.sha1(json.dumps(value, sort_keys=True).encode()).digest()).decode()[:27] + '"'


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def web_safe_b64decode(text: str) -> bytes:
    """photoData as the reference describes it: "/" as "_", "+" as "-", padding "=" possibly
    written "*" or "."; standard base64 is read too."""
    cleaned = text.strip().replace("*", "=").replace(".", "=").rstrip("=")
    cleaned = cleaned.replace("+", "-").replace("/", "_")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


class GoogleWorkspaceEmulator(loopback_http.LoopbackEmulator):
    protocol_version = "HTTP/1.1"

    def __init__(
        self,
        *,
        customer_id: str = "C03az79cb",
        primary_domain: str = "workspace-admin.test",
        admin_email: str | None = None,
        dns_server: tuple[str, int] | None = None,
        page_size: int = 3,
        token_lifetime: int = 3599,
    ) -> None:
        self.lock = threading.RLock()
        self.customer_id = customer_id
        self.primary_domain = primary_domain
        self.admin_email = (admin_email or f"admin@{primary_domain}").lower()
        self.dns_server = dns_server
        self.page_size = page_size  # users.list answers at most this many per page
        self.token_lifetime = token_lifetime  # expires_in of every token it issues
        self.service_accounts: dict[str, ServiceAccount] = {}  # client_email -> account
        self.delegation: dict[str, set[str]] = {}  # client ID -> scopes granted in domain-wide delegation
        self.domains: dict[str, dict[str, Any]] = {}  # domainName -> Domains resource
        self.foreign_domains: set[str] = set()  # held by another Google customer
        self.secondary_domains_allowed = True  # False: domains.insert answers 412 (no multi-domain)
        self.users: dict[str, dict[str, Any]] = {}  # id -> User resource
        self.passwords: dict[str, str] = {}  # id -> the password it was given
        self.aliases: dict[str, str] = {}  # alias address -> user id
        self.photos: dict[str, dict[str, Any]] = {}  # user id -> {"data": bytes, "mimeType": str}
        self.imap: dict[str, dict[str, Any]] = {}  # user id -> ImapSettings
        self.imap_enabled_by_default = False
        self.conflicting_accounts: set[str] = set()  # addresses of Google accounts outside the customer
        self.mail_service_pending: set[str] = set()  # addresses whose Gmail is not set up yet
        self.site_tokens: dict[tuple[str, str], str] = {}  # (owner, domain) -> token
        self.verified_owners: dict[str, set[str]] = {}  # domain -> verified owners (Site Verification)
        self.verify_lag = 0  # domains.get still answers verified=false this many times after ownership is verified
        self._lag: dict[str, int] = {}
        self.tokens: dict[str, Grant] = {}  # access token -> grant
        self.token_requests: list[dict[str, Any]] = []  # claims of every token request, checked or not
        self.calls: list[tuple[str, str]] = []  # (method, path with query) of every API call
        self.deleted_users: list[str] = []  # primary addresses of deleted users, in order
        self._faults: list[Fault] = []
        self._token_faults: deque[tuple[int, str, str]] = deque()
        self._lost: list[str] = []  # operations performed, then answered 503
        self._slow: dict[str, float] = {}  # operation -> seconds its next answer waits
        self._delays: dict[int, float] = {}  # request thread -> the wait of its answer
        self._server: Any = None
        self._add_domain_resource(primary_domain, primary=True, verified=True)
        self._new_user(self.admin_email, "Workspace", "Admin", secrets.token_urlsafe(12), is_admin=True)

    # ------------------------------------------------------------------ test controls

    @property
    def url(self) -> str:
        return self.origin

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    @property
    def site_verification_base(self) -> str:
        return self.url + SITE

    def add_service_account(
        self,
        key_file: Path,
        *,
        scopes: frozenset[str] | set[str] = DEFAULT_GRANT,
        client_email: str | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
    ) -> ServiceAccount:
        """A new service account whose client ID is granted `scopes` in domain-wide delegation,
        its JSON key written to `key_file` as Google Cloud writes one (token_uri: this emulator).
        Accounts share one generated RSA key unless given theirs (generating one is slow on a busy
        machine); each has its own client_email and client ID, and is revoked on its own."""
        private_key = private_key or shared_key()
        client_id = str(100000000000000000000 + secrets.randbelow(10**20))
        client_email = client_email or f"mailwright-{secrets.token_hex(3)}@mailwright-test.iam.gserviceaccount.com"
        key_id = secrets.token_hex(20)
        pem = private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
        info = {
            "type": "service_account",
            "project_id": "mailwright-test",
            "private_key_id": key_id,
            "private_key": pem,
            "client_email": client_email,
            "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/" + urllib.parse.quote(client_email),
            "universe_domain": "googleapis.com",
        }
        key_file = Path(key_file)
        key_file.write_text(json.dumps(info, indent=2))
        account = ServiceAccount(client_email, client_id, key_id, private_key.public_key(), key_file)
        with self.lock:
            self.service_accounts[client_email] = account
            self.delegation[client_id] = set(scopes)
        return account

    def settings(self, key_file: Path | str) -> dict[str, str]:
        """Settings(**...) keyword arguments pointing a Google Workspace host at this emulator."""
        return {
            "mailbox_hosts": json.dumps({"GOOGLE": "google_workspace"}),
            "google_service_account_file": str(key_file),
            "google_admin_email": self.admin_email,
            "google_customer_id": "my_customer",
            "google_directory_base": self.url,
            "google_site_verification_base": self.site_verification_base,
            "google_gmail_base": self.url,
        }

    def environment(self, key_file: Path | str) -> dict[str, str]:
        """The same as MAILWRIGHT_* environment variables (for a `serve` process)."""
        return {"MAILWRIGHT_" + name.upper(): value for name, value in self.settings(key_file).items()}

    def fail_next(
        self,
        status: int,
        reason: str,
        message: str | None = None,
        *,
        times: int = 1,
        retry_after: float | None = None,
        path: str | None = None,
        domain: str | None = None,
    ) -> None:
        """Answer the next `times` API calls whose path contains `path` (any call: None) with
        Google's error body (e.g. 403 userRateLimitExceeded, 429 rateLimitExceeded, 503 backendError)."""
        with self.lock:
            self._faults.append(Fault(status, reason, message, times, retry_after, path, domain))

    def fail_token_next(self, status: int, error: str, description: str, times: int = 1) -> None:
        with self.lock:
            self._token_faults.extend([(status, error, description)] * times)

    def lose_answer_next(self, operation: str) -> None:
        """Perform the next `operation` ("users.insert", "users.update", "domains.insert", ...), then
        answer 503 backendError, as when the answer is lost on its way back."""
        with self.lock:
            self._lost.append(operation)

    def slow_next(self, operation: str, seconds: float) -> None:
        """Perform the next `operation`, then answer only `seconds` later (a test kills the
        caller meanwhile, as a crash between the call and its record)."""
        with self.lock:
            self._slow[operation] = seconds

    def reset_faults(self) -> None:
        with self.lock:
            self._slow.clear()
            self._faults.clear()
            self._token_faults.clear()
            self._lost.clear()

    def expire_tokens(self) -> None:
        """Every issued token expires now (the next API call with one answers 401)."""
        with self.lock:
            for grant in self.tokens.values():
                grant.expires_at = 0.0

    def revoke_key(self, client_email: str) -> None:
        """The key was deleted in the Cloud console: its signatures are refused from now on."""
        with self.lock:
            self.service_accounts[client_email].revoked = True

    def user_by_email(self, email: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._resolve_user(email)
            return None if found is None else dict(found)

    def token_requests_for(self, subject: str) -> list[dict[str, Any]]:
        with self.lock:
            return [claims for claims in self.token_requests if str(claims.get("sub", "")).lower() == subject.lower()]

    # ------------------------------------------------------------------ HTTP

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        if url.path == "/token":
            status, body, headers = self._token_endpoint(request.command, raw, request.headers)
            return self._send(request, status, body, headers)
        with self.lock:
            self.calls.append((request.command, request.path))
        try:
            grant = self._authenticate(request.headers)
            self._fault(url.path)
            try:
                payload = json.loads(raw) if raw else None
            except ValueError:
                raise GoogleError(400, "parseError", "Parse Error") from None
            with self.lock:
                status, body = self._route(_Request(request.command, url.path, query, payload, grant, request.path))
                delay = self._delays.pop(threading.get_ident(), 0.0)
            time.sleep(delay)  # slow_next: performed, its answer late
            return self._send(request, status, body, {})
        except GoogleError as error:
            return self._send(request, error.status, error.body(), error.headers)

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: Any, headers: dict[str, str]) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        if body is not None:
            request.send_header("Content-Type", "application/json; charset=UTF-8")
        request.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        try:
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the caller was killed while its answer was held back (slow_next): as intended

    def _fault(self, path: str) -> None:
        with self.lock:
            for fault in self._faults:
                if fault.times > 0 and (fault.path is None or fault.path in path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    headers = {} if fault.retry_after is None else {"Retry-After": str(int(fault.retry_after))}
                    raise GoogleError(fault.status, fault.reason, fault.message, domain=fault.domain, headers=headers)

    def _lose(self, operation: str) -> None:
        """Called after an operation was performed: its answer may be late (slow_next) or lost (503)."""
        if operation in self._slow:
            self._delays[threading.get_ident()] = self._slow.pop(operation)
        if operation in self._lost:
            self._lost.remove(operation)
            raise GoogleError(503, "backendError", "The service is currently unavailable.")

    # ------------------------------------------------------------------ the token endpoint

    def _token_endpoint(self, method: str, raw: bytes, headers: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
        try:
            if method != "POST":
                raise OAuthError(405, "invalid_request", "Method not allowed")
            with self.lock:
                if self._token_faults:
                    raise OAuthError(*self._token_faults.popleft())
            if "application/x-www-form-urlencoded" not in (headers.get("Content-Type") or ""):
                raise OAuthError(400, "invalid_request", "Invalid content type")
            form = dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
            if form.get("grant_type") != JWT_BEARER:
                raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {form.get('grant_type', '')}")
            assertion = form.get("assertion") or ""
            if not assertion:
                raise OAuthError(400, "invalid_request", "Missing required parameter: assertion")
            grant = self._grant(assertion)
        except OAuthError as exc:
            return exc.status, {"error": exc.error, "error_description": exc.description}, {}
        token = "ya29." + secrets.token_urlsafe(48)
        with self.lock:
            self.tokens[token] = grant
        return 200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"}

    def _grant(self, assertion: str) -> Grant:
        parts = assertion.split(".")
        if len(parts) != 3:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: not a compact JWS")
        try:
            header = json.loads(_b64url_decode(parts[0]))
            claims = json.loads(_b64url_decode(parts[1]))
            signature = _b64url_decode(parts[2])
        except (ValueError, TypeError):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: could not be decoded") from None
        if not isinstance(claims, dict) or not isinstance(header, dict):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: claims are not an object")
        with self.lock:
            self.token_requests.append(dict(claims))
            account = self.service_accounts.get(str(claims.get("iss", "")))
        if header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        if account is None:
            raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        try:
            if account.revoked:
                raise InvalidSignature()
            account.public_key.verify(signature, f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.") from None
        if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE:
            raise OAuthError(400, "invalid_grant", f"Invalid JWT: Failed audience check. The expected audience is {GOOGLE_TOKEN_AUDIENCE}.")
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int) or exp - iat > 3600 or iat > now + 300 or exp < now - 300:
            raise OAuthError(
                400,
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
            )
        scopes = frozenset(str(claims.get("scope") or "").split())
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Empty or missing scope not allowed.")
        subject = claims.get("sub")
        if subject is not None:
            subject = str(subject).lower()
            with self.lock:
                user = self._resolve_user(subject)
                granted = self.delegation.get(account.client_id, set())
            if user is None or user["primaryEmail"].lower() != subject:
                raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
            if not scopes <= granted:
                raise OAuthError(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
        return Grant(account.client_id, subject, scopes, time.monotonic() + self.token_lifetime)

    def _authenticate(self, headers: Any) -> Grant:
        auth = headers.get("Authorization") or ""
        with self.lock:
            grant = self.tokens.get(auth[7:].strip()) if auth.startswith("Bearer ") else None
        if grant is None or time.monotonic() >= grant.expires_at:
            raise GoogleError(
                401,
                "authError",
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. "
                "See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        return grant

    @staticmethod
    def _require(request: _Request, *scopes: str) -> None:
        if not request.grant.scopes.intersection(scopes):
            raise GoogleError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")

    def _require_admin(self, request: _Request) -> None:
        subject = request.grant.subject
        user = self._resolve_user(subject) if subject else None
        if user is None or not user.get("isAdmin") or user.get("suspended"):
            raise GoogleError(403, "forbidden", NOT_AUTHORIZED)

    # ------------------------------------------------------------------ routes

    def _route(self, request: _Request) -> tuple[int, Any]:
        path, method = request.path, request.method
        if path.startswith(DIRECTORY + "/"):
            parts = [urllib.parse.unquote(p) for p in path[len(DIRECTORY) + 1 :].split("/")]
            if parts[0] == "customer" and len(parts) >= 3 and parts[2] == "domains":
                self._require(request, DOMAIN_SCOPE, *((DOMAIN_READONLY,) if method == "GET" else ()))
                self._require_admin(request)
                self._customer(parts[1])
                if len(parts) == 3 and method == "GET":
                    domains = [dict(d) for d in sorted(self.domains.values(), key=lambda d: d["domainName"])]
                    return 200, {"kind": "admin#directory#domains", "etag": _etag(domains), "domains": domains}
                if len(parts) == 3 and method == "POST":
                    return self._insert_domain(request.body)
                if len(parts) == 4 and method == "GET":
                    return 200, self._get_domain(parts[3].lower())
                if len(parts) == 4 and method == "DELETE":
                    return self._delete_domain(parts[3].lower())
            if parts[0] == "users":
                return self._users_route(request, parts)
            raise GoogleError(404, "notFound", "Not Found")
        if path == SITE + "/token" and method == "POST":
            self._require(request, SITE_SCOPE, SITE_VERIFY_ONLY)
            return self._site_token(request)
        if path == SITE + "/webResource" and method == "POST":
            self._require(request, SITE_SCOPE, SITE_VERIFY_ONLY)
            return self._verify_site(request)
        if path.startswith(GMAIL + "/users/") and path.endswith("/settings/imap"):
            user_id = urllib.parse.unquote(path[len(GMAIL + "/users/") : -len("/settings/imap")])
            return self._imap(request, user_id)
        raise GoogleError(404, "notFound", "Not Found")

    def _customer(self, customer: str) -> None:
        if customer not in ("my_customer", self.customer_id):
            raise GoogleError(400, "badRequest", "Bad Request")

    # ------------------------------------------------------------------ domains

    def _add_domain_resource(self, name: str, *, primary: bool = False, verified: bool = False) -> dict[str, Any]:
        resource = {
            "kind": "admin#directory#domain",
            "domainName": name,
            "isPrimary": primary,
            "verified": verified,
            "creationTime": str(int(time.time() * 1000)),
        }
        resource["etag"] = _etag(resource)
        self.domains[name] = resource
        return resource

    def _insert_domain(self, body: Any) -> tuple[int, Any]:
        name = str((body or {}).get("domainName") or "").strip().lower().rstrip(".")
        if not name or "." not in name or " " in name:
            raise GoogleError(400, "invalid", "Invalid Input: domainName")
        if not self.secondary_domains_allowed:
            # The answer GAM users quote for a customer without multi-domain.
            raise GoogleError(412, "conditionNotMet", "The customer cannot add new domains as multidomain feature for the customer is disabled.")
        if name in self.domains or name in self.foreign_domains:
            raise GoogleError(409, "duplicate", "Entity already exists.")
        resource = dict(self._add_domain_resource(name))
        self._lose("domains.insert")
        return 200, resource

    def _get_domain(self, name: str) -> dict[str, Any]:
        resource = self.domains.get(name)
        if resource is None:
            raise GoogleError(404, "notFound", "Domain not found.")
        if self._lag.get(name, 0) > 0:
            self._lag[name] -= 1
            return {**resource, "verified": False}
        return dict(resource)

    def _delete_domain(self, name: str) -> tuple[int, Any]:
        resource = self.domains.get(name)
        if resource is None:
            raise GoogleError(404, "notFound", "Domain not found.")
        if resource["isPrimary"]:
            raise GoogleError(400, "invalid", "Cannot delete primary domain")
        if any(u["primaryEmail"].endswith("@" + name) for u in self.users.values()):
            # Not documented as an API answer; the Admin console refuses to remove a domain with users.
            raise GoogleError(400, "invalid", "Domain cannot be deleted while it has users.")
        del self.domains[name]
        for alias in [a for a in self.aliases if a.endswith("@" + name)]:
            del self.aliases[alias]
        return 204, None

    # ------------------------------------------------------------------ users

    def _users_route(self, request: _Request, parts: list[str]) -> tuple[int, Any]:
        method = request.method
        reading = method == "GET"
        if len(parts) == 1:
            self._require(request, USER_SCOPE, *((USER_READONLY,) if reading else ()))
            self._require_admin(request)
            if method == "POST":
                return self._insert_user(request.body)
            if method == "GET":
                return self._list_users(request.query)
        if len(parts) >= 2:
            if len(parts) >= 3 and parts[2] == "aliases":
                self._require(request, USER_SCOPE, ALIAS_SCOPE)
            else:
                self._require(request, USER_SCOPE, *((USER_READONLY,) if reading else ()))
            self._require_admin(request)
            user = self._user_for_key(parts[1])
            if len(parts) == 2:
                if method == "GET":
                    return 200, self._public(user)
                if method in ("PUT", "PATCH"):
                    return self._update_user(user, request.body)
                if method == "DELETE":
                    self._delete_user(user)
                    return 204, None
            if len(parts) == 4 and parts[2:] == ["photos", "thumbnail"]:
                return self._photo(user, method, request.body)
            if len(parts) == 3 and parts[2] == "aliases" and method == "GET":
                aliases = [{"kind": "admin#directory#alias", "id": user["id"], "primaryEmail": user["primaryEmail"], "alias": a} for a, i in sorted(self.aliases.items()) if i == user["id"]]
                return 200, {"kind": "admin#directory#aliases", "etag": _etag(aliases), "aliases": aliases}
            if len(parts) == 4 and parts[2] == "aliases" and method == "DELETE":
                alias = parts[3].lower()
                if self.aliases.get(alias) != user["id"]:
                    raise GoogleError(404, "notFound", "Resource Not Found: alias")
                del self.aliases[alias]
                return 204, None
        raise GoogleError(404, "notFound", "Not Found")

    def _resolve_user(self, key: str) -> dict[str, Any] | None:
        key = key.strip().lower()
        if key in self.users:
            return self.users[key]
        for user in self.users.values():
            if user["primaryEmail"].lower() == key:
                return user
        user_id = self.aliases.get(key)
        return self.users.get(user_id) if user_id else None

    def _user_for_key(self, key: str) -> dict[str, Any]:
        user = self._resolve_user(key)
        if user is not None:
            return user
        if "@" in key and key.rsplit("@", 1)[1].lower() not in self.domains:
            raise GoogleError(403, "forbidden", NOT_AUTHORIZED)
        raise GoogleError(404, "notFound", "Resource Not Found: userKey")

    def _taken(self, email: str) -> bool:
        return self._resolve_user(email) is not None or email in self.conflicting_accounts

    def _new_user(self, email: str, given: str, family: str, password: str, *, is_admin: bool = False) -> dict[str, Any]:
        user_id = str(100000000000000000000 + secrets.randbelow(10**20))
        user: dict[str, Any] = {
            "kind": "admin#directory#user",
            "id": user_id,
            "primaryEmail": email,
            "name": {"givenName": given, "familyName": family, "fullName": f"{given} {family}"},
            "isAdmin": is_admin,
            "isDelegatedAdmin": False,
            "lastLoginTime": "1970-01-01T00:00:00.000Z",
            "creationTime": _now_iso(),
            "agreedToTerms": False,
            "suspended": False,
            "archived": False,
            "changePasswordAtNextLogin": False,
            "ipWhitelisted": False,
            "emails": [{"address": email, "primary": True}],
            "customerId": self.customer_id,
            "orgUnitPath": "/",
            "isMailboxSetup": False,
            "isEnrolledIn2Sv": False,
            "isEnforcedIn2Sv": False,
            "includeInGlobalAddressList": True,
        }
        self.users[user_id] = user
        self.passwords[user_id] = password
        return user

    def _public(self, user: dict[str, Any]) -> dict[str, Any]:
        answer = json.loads(json.dumps(user))
        aliases = sorted(a for a, i in self.aliases.items() if i == user["id"])
        if aliases:
            answer["aliases"] = aliases
        answer["etag"] = _etag(answer)
        return answer

    def _names(self, body: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, str]:
        name = body.get("name")
        if name is None and current is not None:
            return current
        if not isinstance(name, dict):
            raise GoogleError(400, "invalid", "Invalid Given/Family Name: GivenName")
        merged = {**(current or {}), **{k: v for k, v in name.items() if k in ("givenName", "familyName")}}
        for part, label in (("givenName", "GivenName"), ("familyName", "FamilyName")):
            value = merged.get(part)
            if not isinstance(value, str) or not value.strip() or len(value) > 60:
                raise GoogleError(400, "invalid", f"Invalid Given/Family Name: {label}")
        return {"givenName": merged["givenName"], "familyName": merged["familyName"], "fullName": f"{merged['givenName']} {merged['familyName']}"}

    def _check_address(self, email: Any) -> str:
        if not isinstance(email, str) or email.count("@") != 1 or not email.split("@")[0]:
            raise GoogleError(400, "invalid", "Invalid Input: primary_user_email")
        email = email.strip().lower()
        domain = self.domains.get(email.split("@")[1])
        if domain is None:
            raise GoogleError(400, "notFound", "Domain not found.")
        if not domain["verified"]:
            # The guide: "Before adding a user account, confirm the domain ownership." The exact
            # answer is not documented; this emulator refuses with 412 conditionNotMet.
            raise GoogleError(412, "conditionNotMet", "Domain not verified.")
        return email

    def _insert_user(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            raise GoogleError(400, "required", "Required")
        email = self._check_address(body.get("primaryEmail"))
        names = self._names(body)
        password = body.get("password")
        if not isinstance(password, str) or not 8 <= len(password) <= 100:
            raise GoogleError(400, "invalid", "Invalid Password")
        if self._taken(email):
            raise GoogleError(409, "duplicate", "Entity already exists.")
        user = self._new_user(email, names["givenName"], names["familyName"], password)
        user["changePasswordAtNextLogin"] = bool(body.get("changePasswordAtNextLogin", False))
        user["suspended"] = bool(body.get("suspended", False))
        if isinstance(body.get("externalIds"), list):
            user["externalIds"] = body["externalIds"]
        self.imap[user["id"]] = {"enabled": self.imap_enabled_by_default, "autoExpunge": True, "expungeBehavior": "archive", "maxFolderSize": 0}
        if email not in self.mail_service_pending:
            user["isMailboxSetup"] = True
        answer = self._public(user)
        self._lose("users.insert")
        return 201, answer

    def _update_user(self, user: dict[str, Any], body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            raise GoogleError(400, "required", "Required")
        changes: dict[str, Any] = {}
        if "name" in body:
            changes["name"] = self._names(body, user["name"])
        if "primaryEmail" in body:
            email = self._check_address(body["primaryEmail"])
            if email != user["primaryEmail"]:
                owner = self._resolve_user(email)
                if (owner is not None and owner["id"] != user["id"]) or email in self.conflicting_accounts:
                    raise GoogleError(409, "duplicate", "Entity already exists.")
                changes["primaryEmail"] = email
        if "suspended" in body:
            if not isinstance(body["suspended"], bool):
                raise GoogleError(400, "invalid", "Invalid Input: suspended")
            changes["suspended"] = body["suspended"]
        if "password" in body:
            if not isinstance(body["password"], str) or not 8 <= len(body["password"]) <= 100:
                raise GoogleError(400, "invalid", "Invalid Password")
            self.passwords[user["id"]] = body["password"]
        for key in ("changePasswordAtNextLogin", "externalIds", "includeInGlobalAddressList"):
            if key in body:
                changes[key] = body[key]
        if "primaryEmail" in changes:
            old = user["primaryEmail"]
            self.aliases.pop(changes["primaryEmail"], None)
            self.aliases[old] = user["id"]  # "the old email address is retained as an alias"
            user["emails"] = [{"address": changes["primaryEmail"], "primary": True}]
        if changes.get("suspended") is True:
            user["suspensionReason"] = "ADMIN"
        elif changes.get("suspended") is False:
            user.pop("suspensionReason", None)
        user.update(changes)
        answer = self._public(user)
        self._lose("users.update")
        return 200, answer

    def _delete_user(self, user: dict[str, Any]) -> None:
        del self.users[user["id"]]
        for alias in [a for a, i in self.aliases.items() if i == user["id"]]:
            del self.aliases[alias]
        self.photos.pop(user["id"], None)
        self.imap.pop(user["id"], None)
        self.deleted_users.append(user["primaryEmail"])
        self._lose("users.delete")

    def _list_users(self, query: dict[str, str]) -> tuple[int, Any]:
        customer, domain = query.get("customer"), (query.get("domain") or "").lower()
        if not customer and not domain:
            raise GoogleError(400, "badRequest", "Bad Request")
        if customer:
            self._customer(customer)
        if domain and domain not in self.domains:
            raise GoogleError(403, "forbidden", NOT_AUTHORIZED)  # only the customer's own domains
        try:
            wanted = int(query.get("maxResults") or 100)
        except ValueError:
            raise GoogleError(400, "invalid", "Invalid Input: maxResults") from None
        if not 1 <= wanted <= 500:
            raise GoogleError(400, "invalid", "Invalid Input: maxResults")
        users = sorted(
            (u for u in self.users.values() if not domain or u["primaryEmail"].endswith("@" + domain)),
            key=lambda u: u["primaryEmail"],
        )
        fingerprint = hashlib.sha256(f"{customer}|{domain}".encode()).hexdigest()[:12]
        start = 0
        if query.get("pageToken"):
            try:
                token = json.loads(_b64url_decode(query["pageToken"]))
                start = int(token["offset"])
                if token["q"] != fingerprint:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                raise GoogleError(400, "invalid", "Invalid Input: pageToken") from None
        size = min(wanted, self.page_size)
        page = [self._public(u) for u in users[start : start + size]]
        answer: dict[str, Any] = {"kind": "admin#directory#users", "etag": _etag([u["id"] for u in page])}
        if page:
            answer["users"] = page
        if start + size < len(users):
            token = json.dumps({"offset": start + size, "q": fingerprint}).encode()
            answer["nextPageToken"] = base64.urlsafe_b64encode(token).decode().rstrip("=")
        return 200, answer

    def _photo(self, user: dict[str, Any], method: str, body: Any) -> tuple[int, Any]:
        if method == "DELETE":
            self.photos.pop(user["id"], None)
            return 204, None
        if method == "GET":
            photo = self.photos.get(user["id"])
            if photo is None:
                raise GoogleError(404, "notFound", "Resource Not Found: userKey")
            return 200, self._photo_resource(user, photo)
        if method not in ("PUT", "PATCH") or not isinstance(body, dict):
            raise GoogleError(400, "required", "Required")
        mime = str(body.get("mimeType") or "").upper().removeprefix("IMAGE/")
        mime = "JPEG" if mime == "JPG" else mime
        try:
            data = web_safe_b64decode(str(body.get("photoData") or ""))
        except (ValueError, TypeError):
            raise GoogleError(400, "invalid", "Invalid Input: photoData") from None
        if not data or mime not in PHOTO_MAGIC or not data.startswith(PHOTO_MAGIC[mime]):
            raise GoogleError(400, "invalid", "Invalid Input: photoData")
        photo = {"data": data, "mimeType": mime}
        self.photos[user["id"]] = photo
        return 200, self._photo_resource(user, photo)

    @staticmethod
    def _photo_resource(user: dict[str, Any], photo: dict[str, Any]) -> dict[str, Any]:
        encoded = base64.urlsafe_b64encode(photo["data"]).decode()
        return {
            "kind": "admin#directory#user#photo",
            "id": "photo-" + user["id"],
            "etag": _etag(encoded[:64]),
            "primaryEmail": user["primaryEmail"],
            "mimeType": photo["mimeType"],
            "height": 96,
            "width": 96,
            "photoData": encoded,
        }

    # ------------------------------------------------------------------ Site Verification

    @staticmethod
    def _site(body: Any) -> tuple[str, str]:
        site = (body or {}).get("site") if isinstance(body, dict) else None
        if not isinstance(site, dict) or not site.get("type") or not site.get("identifier"):
            raise GoogleError(400, "required", "Required")
        return str(site["type"]), str(site["identifier"]).strip().lower().rstrip(".")

    def _site_token(self, request: _Request) -> tuple[int, Any]:
        kind, identifier = self._site(request.body)
        method = str(request.body.get("verificationMethod") or "")
        if kind != "INET_DOMAIN" or method not in ("DNS_TXT", "DNS"):
            raise GoogleError(400, "badRequest", "The verification method is not valid for this site type.")
        owner = request.grant.subject or "service-account"
        token = self.site_tokens.setdefault((owner, identifier), "google-site-verification=" + secrets.token_urlsafe(32)[:43])
        return 200, {"method": method, "token": token}

    def _verify_site(self, request: _Request) -> tuple[int, Any]:
        if request.query.get("verificationMethod") not in ("DNS_TXT", "DNS"):
            raise GoogleError(400, "required", "Required parameter: verificationMethod")
        kind, identifier = self._site(request.body)
        if kind != "INET_DOMAIN":
            raise GoogleError(400, "badRequest", "The verification method is not valid for this site type.")
        owner = request.grant.subject or "service-account"
        token = self.site_tokens.get((owner, identifier))
        if token is None or token not in self.served_txt(identifier):
            raise GoogleError(400, "badRequest", TOKEN_NOT_FOUND)
        owners = self.verified_owners.setdefault(identifier, set())
        owners.add(owner)
        domain = self.domains.get(identifier)
        user = self._resolve_user(owner)
        if domain is not None and user is not None and user.get("isAdmin") and not domain["verified"]:
            domain["verified"] = True
            if self.verify_lag:
                self._lag[identifier] = self.verify_lag
        return 200, {"id": urllib.parse.quote("dns://" + identifier, safe=""), "site": {"type": kind, "identifier": identifier}, "owners": sorted(owners)}

    def served_txt(self, domain: str) -> list[str]:
        """The TXT strings the domain's apex serves, asked over DNS at `dns_server`."""
        if self.dns_server is None:
            return []
        query = dns.message.make_query(domain, dns.rdatatype.TXT)
        try:
            answer = dns.query.udp(query, self.dns_server[0], port=self.dns_server[1], timeout=2.0)
            if answer.flags & dns.flags.TC:
                answer = dns.query.tcp(query, self.dns_server[0], port=self.dns_server[1], timeout=2.0)
        except (OSError, dns.exception.DNSException):
            return []
        texts = []
        for rrset in answer.answer:
            if rrset.rdtype == dns.rdatatype.TXT:
                texts.extend(b"".join(r.strings).decode("utf-8", "replace") for r in rrset)
        return texts

    # ------------------------------------------------------------------ Gmail

    def _imap(self, request: _Request, user_id: str) -> tuple[int, Any]:
        if request.method == "GET":
            self._require(request, GMAIL_SETTINGS_BASIC, *GMAIL_READ)
        elif request.method == "PUT":
            self._require(request, GMAIL_SETTINGS_BASIC)
        else:
            raise GoogleError(404, "notFound", "Not Found")
        subject = request.grant.subject or ""
        if user_id.lower() not in ("me", subject):
            raise GoogleError(403, "forbidden", f"Delegation denied for {subject}")
        user = self._resolve_user(subject)
        if user is None:
            raise GoogleError(404, "notFound", "Requested entity was not found.")
        if user["primaryEmail"] in self.mail_service_pending:
            raise GoogleError(400, "failedPrecondition", "Mail service not enabled")
        settings = self.imap.setdefault(user["id"], {"enabled": self.imap_enabled_by_default, "autoExpunge": True, "expungeBehavior": "archive", "maxFolderSize": 0})
        if request.method == "PUT":
            body = request.body if isinstance(request.body, dict) else {}
            if "enabled" in body and not isinstance(body["enabled"], bool):
                raise GoogleError(400, "invalidArgument", "Invalid value at 'imap_settings.enabled'")
            if body.get("expungeBehavior") not in (None, "archive", "trash", "deleteForever", "expungeBehaviorUnspecified"):
                raise GoogleError(400, "invalidArgument", "Invalid value at 'imap_settings.expunge_behavior'")
            settings.update({k: v for k, v in body.items() if k in ("enabled", "autoExpunge", "expungeBehavior", "maxFolderSize")})
        return 200, dict(settings)


Emulator = GoogleWorkspaceEmulator
