"""A loopback emulator of the Microsoft identity platform's token endpoint and of the Microsoft
Graph v1.0 calls a Microsoft 365 mailbox host makes, written from Microsoft's public
documentation (not from Mailwright's adapter):

- https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow —
  POST /{tenant}/oauth2/v2.0/token (form: client_id, client_secret, scope, grant_type); the
  answer {"token_type": "Bearer", "expires_in", "ext_expires_in", "access_token"}; errors
  {"error", "error_description" ("AADSTSnnnn: ...\\r\\nTrace ID: ..."), "error_codes",
  "timestamp", "trace_id", "correlation_id", "error_uri"}, codes from
  https://learn.microsoft.com/entra/identity-platform/reference-error-codes (70011 invalid
  scope, 700016 unknown application, 7000215 wrong secret, 7000222 expired secret, 90002
  unknown tenant). The access token is a JWT whose payload carries `roles`, the application
  permissions granted (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
- https://learn.microsoft.com/graph/errors — {"error": {"code", "message", "innerError":
  {"date", "request-id", "client-request-id"}}}; 401 InvalidAuthenticationToken ("Lifetime
  validation failed, the token is expired."); 403 Authorization_RequestDenied ("Insufficient
  privileges to complete the operation.", as the daemon-app guide shows it); 404
  Request_ResourceNotFound.
- https://learn.microsoft.com/graph/throttling — 429 with Retry-After and the documented body
  {"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": ...}}
  (and 503 with Retry-After).
- Permissions per call: the "Application" row of each page's permissions table (below, PERMITS).
- https://learn.microsoft.com/graph/api/resources/domain and the domain pages: list, get, create
  ({"id"} only; 201 with the domain), verificationDnsRecords (a domainDnsTxtRecord "MS=ms..."
  and its domainDnsMxRecord alternative "ms....msv1.invalid", preference 32767), verify
  ("Only applies to an unverified domain"), serviceConfigurationRecords (domainDnsMxRecord,
  domainDnsTxtRecord, domainDnsCnameRecord, domainDnsSrvRecord; `label` a full name;
  `supportedService` Email, OfficeCommunicationsOnline, Intune), delete (refused while users
  use the domain: https://learn.microsoft.com/entra/identity/users/domains-manage); the tenant's
  initial <name>.onmicrosoft.com domain (`isInitial`).
- https://learn.microsoft.com/graph/api/resources/user and the user pages: create (required
  accountEnabled, displayName, mailNickname, userPrincipalName on a verified domain,
  passwordProfile; the password policy of
  https://learn.microsoft.com/entra/identity/authentication/concept-password-ban-bad-combined-policy:
  8 to 256 characters, three of lower case, upper case, digits, symbols), get by id or
  userPrincipalName ($select; onPremisesExtensionAttributes only on $select), update (204),
  delete (204), list ($top up to 999, default 100, @odata.nextLink with $skiptoken),
  assignLicense (skuId from subscribedSkus; a usageLocation needed; "Subscription with SKU ...
  does not have any available licenses."), profile photo (PUT /users/{id}/photo/$value, up to
  4 MB; a user without a mailbox — no licence yet — is answered 404
  MailboxNotEnabledForRESTAPI).
- https://learn.microsoft.com/graph/api/subscribedsku-list and organization-list.

Bodies follow the documented examples kept as fixtures beside the tests (fixtures/*.json, each
one's source in fixtures/SOURCES.md). Where the documentation gives no wording (a domain another
tenant holds, a verification that fails, a domain still in use), the emulator's message says the
fact plainly; the adapter must not depend on more than the status and the code.

Verification is real: `verify` sends a TXT query for the domain to `dns_server` (ip, port) with
dnspython and verifies the domain only if the MS=ms... value is served there.

State, in plain attributes (under `lock`): tenant_id, client_id, client_secret, roles (the
app's granted permissions, put in each new token), expires_in, domains (id → domain resource),
verification_codes, users (id → user, with its password), photos (user id → (bytes, content
type)), skus (subscribedSku list), token_requests, calls, mx_tokens (domain → the token
Microsoft assigns in its MX host), foreign_domains (held by another tenant), refuse_users
(userPrincipalName → Graph's 400 message). Faults: throttle_next(times, retry_after, status),
expire_tokens(), secret_expired."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import dns.exception
import dns.message
import dns.query
import dns.rdatatype

from tests.support import loopback_http

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ALL_ROLES = ("Domain.ReadWrite.All", "Organization.Read.All", "User.ReadWrite.All")
DEFAULT_SKU_ID = "3b555118-da6a-4418-894f-7df1e2096870"  # O365_BUSINESS_ESSENTIALS (Microsoft 365 Business Basic)
MAX_TOP = 999
DEFAULT_TOP = 100
MAX_PHOTO = 4 * 1024 * 1024

READ_DIRECTORY = ("Directory.Read.All", "Directory.ReadWrite.All")
# The application permissions each call accepts, from the permissions table of its page.
PERMITS = {
    "organization": ("Organization.Read.All", "Organization.ReadWrite.All", *READ_DIRECTORY),
    "subscribedSkus": ("LicenseAssignment.Read.All", "Organization.Read.All", "Organization.ReadWrite.All", *READ_DIRECTORY),
    "read domains": ("Domain.Read.All", "Domain.ReadWrite.All", *READ_DIRECTORY),
    "write domains": ("Domain.ReadWrite.All",),
    "read users": ("User.Read.All", "User.ReadWrite.All", *READ_DIRECTORY),
    "write users": ("User.ReadWrite.All", "Directory.ReadWrite.All"),
    "assignLicense": ("LicenseAssignment.ReadWrite.All", "User.ReadWrite.All", "Directory.ReadWrite.All"),
    "photo": ("ProfilePhoto.ReadWrite.All", "User.ReadWrite.All"),
}
USER_DEFAULT_FIELDS = (
    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
    "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id",
)
USER_WRITABLE = {
    "accountEnabled", "displayName", "givenName", "surname", "userPrincipalName", "mail", "mailNickname",
    "usageLocation", "passwordProfile", "onPremisesExtensionAttributes", "jobTitle",
}
# Microsoft's own Exchange Online, Teams and Intune targets (serviceConfigurationRecords).
OUTLOOK_MX = "mail.protection.outlook.com"


class Answer(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class Issued:
    expires_at: float  # time.monotonic()
    roles: tuple[str, ...]


class GraphEmulator(loopback_http.LoopbackEmulator):
    def __init__(
        self,
        *,
        tenant_id: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        tenant_name: str = "mailwrighttest",
        roles: tuple[str, ...] = ALL_ROLES,
        expires_in: int = 3599,
        licences: int = 25,
        consumed: int = 0,
        sku_part_number: str = "O365_BUSINESS_ESSENTIALS",
        dns_server: tuple[str, int] | None = None,
    ) -> None:
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.client_id = client_id or str(uuid.uuid4())
        self.client_secret = client_secret or "Zx8Q~" + secrets.token_urlsafe(27)
        self.tenant_name = tenant_name
        self.initial_domain = f"{tenant_name}.onmicrosoft.com"
        self.roles = tuple(roles)
        self.expires_in = expires_in
        self.dns_server = dns_server
        self.secret_expired = False
        self.lock = threading.RLock()
        self.domains: dict[str, dict[str, Any]] = {}
        self.verification_codes: dict[str, str] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.photos: dict[str, tuple[bytes, str]] = {}
        self.skus: list[dict[str, Any]] = []
        self.mx_tokens: dict[str, str] = {}
        self.foreign_domains: set[str] = set()
        self.refuse_users: dict[str, str] = {}
        self.tokens: dict[str, Issued] = {}
        self.token_requests = 0
        self.calls: list[tuple[str, str]] = []
        self._throttles: list[tuple[int, float | None]] = []
        self._created = itertools.count()
        self._server: ThreadingHTTPServer | None = None
        self._add_initial_domain()
        self.add_sku(sku_part_number, licences, consumed, sku_id=DEFAULT_SKU_ID if sku_part_number == "O365_BUSINESS_ESSENTIALS" else None)

    # ------------------------------------------------------------------ test controls

    @property
    def url(self) -> str:
        return self.origin

    @property
    def login_base(self) -> str:
        return self.url

    @property
    def graph_base(self) -> str:
        return self.url + "/v1.0"

    def env(self) -> dict[str, str]:
        """The MAILWRIGHT_* settings that point `serve` at this emulator."""
        return {
            "MAILWRIGHT_MAILBOX_HOSTS": json.dumps({"MICROSOFT": "microsoft365"}),
            "MAILWRIGHT_MICROSOFT_TENANT_ID": self.tenant_id,
            "MAILWRIGHT_MICROSOFT_CLIENT_ID": self.client_id,
            "MAILWRIGHT_MICROSOFT_CLIENT_SECRET": self.client_secret,
            "MAILWRIGHT_MICROSOFT_LOGIN_BASE": self.login_base,
            "MAILWRIGHT_MICROSOFT_GRAPH_BASE": self.graph_base,
            "MAILWRIGHT_MICROSOFT_LICENSE_SKU": self.skus[0]["skuPartNumber"],
        }

    def add_sku(self, part_number: str, licences: int, consumed: int = 0, *, sku_id: str | None = None) -> dict[str, Any]:
        sku_id = sku_id or str(uuid.uuid4())
        sku = {
            "accountName": "Mailwright test account",
            "accountId": str(uuid.uuid4()),
            "appliesTo": "User",
            "capabilityStatus": "Enabled",
            "consumedUnits": consumed,
            "id": f"{self.tenant_id}_{sku_id}",
            "prepaidUnits": {"enabled": licences, "lockedOut": 0, "suspended": 0, "warning": 0},
            "servicePlans": [
                {"servicePlanId": "9aaf7827-d63c-4b61-89c3-182f06f82e5c", "servicePlanName": "EXCHANGE_S_STANDARD", "provisioningStatus": "Success", "appliesTo": "User"}
            ],
            "skuId": sku_id,
            "skuPartNumber": part_number,
            "subscriptionIds": [str(uuid.uuid4())],
        }
        with self.lock:
            self.skus.append(sku)
        return sku

    def set_licences(self, enabled: int, consumed: int | None = None, part_number: str | None = None) -> None:
        """The tenant's licences of a SKU (the first one unless named)."""
        with self.lock:
            sku = self._sku_named(part_number) if part_number else self.skus[0]
            sku["prepaidUnits"]["enabled"] = enabled
            if consumed is not None:
                sku["consumedUnits"] = consumed

    def licences(self, part_number: str | None = None) -> tuple[int, int]:
        """(enabled, consumed) of a SKU (the first one unless named)."""
        with self.lock:
            sku = self._sku_named(part_number) if part_number else self.skus[0]
            return sku["prepaidUnits"]["enabled"], sku["consumedUnits"]

    def throttle_next(self, times: int = 1, retry_after: float | None = 7, status: int = 429) -> None:
        """The next `times` Graph calls are answered `status` (429, 503 ...) with Retry-After."""
        with self.lock:
            self._throttles.extend([(status, retry_after)] * times)

    def expire_tokens(self) -> None:
        """Every token issued so far is expired for Graph (whatever its holder believes)."""
        with self.lock:
            for issued in self.tokens.values():
                issued.expires_at = 0.0

    def reset_faults(self) -> None:
        with self.lock:
            self._throttles.clear()
            self.refuse_users.clear()
            self.secret_expired = False

    def add_verified_domain(self, domain: str) -> dict[str, Any]:
        """A domain added and verified (e.g. in the admin center) before the test."""
        with self.lock:
            entry = self._new_domain(domain)
            entry["isVerified"] = True
            return entry

    def user_named(self, upn: str) -> dict[str, Any] | None:
        with self.lock:
            return next((u for u in self.users.values() if u["userPrincipalName"].lower() == upn.lower()), None)

    def users_on(self, domain: str) -> list[dict[str, Any]]:
        with self.lock:
            return [u for u in self.users.values() if u["userPrincipalName"].lower().endswith("@" + domain.lower())]

    def add_user(self, upn: str, **fields: Any) -> dict[str, Any]:
        """A user made outside Mailwright (in the admin center), on a domain of the tenant."""
        with self.lock:
            user = self._new_user({
                "accountEnabled": True,
                "displayName": upn.split("@")[0],
                "mailNickname": upn.split("@")[0],
                "userPrincipalName": upn,
                "passwordProfile": {"password": "Outside-1234", "forceChangePasswordNextSignIn": True},
                **fields,
            })
            return user

    # ------------------------------------------------------------------ dispatch

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(request.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        method = request.command
        try:
            if url.path.endswith("/oauth2/v2.0/token") and method == "POST":
                status, headers, body = self._token(url.path, raw)
            elif url.path == "/v1.0" or url.path.startswith("/v1.0/"):
                with self.lock:
                    self.calls.append((method, request.path))
                status, headers, body = self._graph(method, url.path[len("/v1.0/"):], query, request.headers, raw)
            else:
                raise Answer(404, _graph_error("Request_ResourceNotFound", f"No route for {url.path}"))
        except Answer as answer:
            status, headers, body = answer.status, answer.headers, answer.body
        except Exception as exc:  # the emulator's own bug: say so as Graph says a failure of its own
            status, headers, body = 500, {}, _graph_error("generalException", f"emulator failure: {type(exc).__name__}: {exc}")
        payload = b"" if body is None else json.dumps(body).encode()
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        if body is not None:
            request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    # ------------------------------------------------------------------ the token endpoint

    def _token(self, path: str, raw: bytes) -> tuple[int, dict[str, str], Any]:
        tenant = urllib.parse.unquote(path.strip("/").split("/")[0])
        form = dict(urllib.parse.parse_qsl(raw.decode(errors="replace")))
        with self.lock:
            self.token_requests += 1
            if tenant.lower() not in (self.tenant_id.lower(), self.initial_domain):
                raise _sts(400, "invalid_request", 90002, f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
            if form.get("grant_type") != "client_credentials":
                raise _sts(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
            if form.get("client_id") != self.client_id:
                raise _sts(400, "unauthorized_client", 700016, f"Application with identifier '{form.get('client_id')}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.")
            if not form.get("client_secret"):
                raise _sts(400, "invalid_request", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
            if self.secret_expired:
                raise _sts(401, "invalid_client", 7000222, f"The provided client secret keys for app '{self.client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.")
            if form["client_secret"] != self.client_secret:
                raise _sts(401, "invalid_client", 7000215, f"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{self.client_id}'.")
            if form.get("scope") != GRAPH_SCOPE:
                raise _sts(400, "invalid_scope", 70011, f"The provided value for the input parameter 'scope' is not valid. The scope {form.get('scope')} is not valid.")
            token = self._jwt()
            self.tokens[token] = Issued(time.monotonic() + self.expires_in, self.roles)
            return 200, {}, {"token_type": "Bearer", "expires_in": self.expires_in, "ext_expires_in": self.expires_in, "access_token": token}

    def _jwt(self) -> str:
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "kid": "emulator"}
        payload = {
            "aud": "https://graph.microsoft.com",
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.expires_in,
            "app_displayname": "Mailwright",
            "appid": self.client_id,
            "idtyp": "app",
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, self.client_id)),
            "roles": sorted(self.roles),
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, self.client_id)),
            "tid": self.tenant_id,
            "ver": "1.0",
        }
        return ".".join(_b64(json.dumps(part).encode()) for part in (header, payload)) + "." + _b64(secrets.token_bytes(64))

    # ------------------------------------------------------------------ Graph

    def _graph(self, method: str, path: str, query: dict[str, str], headers: Any, raw: bytes) -> tuple[int, dict[str, str], Any]:
        roles = self._authenticate(headers)
        with self.lock:
            if self._throttles:
                status, retry_after = self._throttles.pop(0)
                extra = {} if retry_after is None else {"Retry-After": str(int(retry_after))}
                if status == 429:
                    raise Answer(429, _graph_error("TooManyRequests", "Please retry again later.", inner={"code": "429", "message": "Please retry after", "status": "429"}), extra)
                raise Answer(status, _graph_error("serviceNotAvailable", "The service is temporarily unavailable. Please retry after a delay."), extra)
        parts = [urllib.parse.unquote(p) for p in path.strip("/").split("/") if p]
        content_type = str(headers.get("Content-Type") or "")
        if method == "PUT" and len(parts) == 4 and parts[0] == "users" and parts[2:] == ["photo", "$value"]:
            self._permit(roles, "photo")
            return self._put_photo(parts[1], raw, content_type)
        body = _json_body(raw)
        if parts == ["organization"] and method == "GET":
            self._permit(roles, "organization")
            return 200, {}, self._collection("organization", [self._organization()], query)
        if parts == ["subscribedSkus"] and method == "GET":
            self._permit(roles, "subscribedSkus")
            with self.lock:
                return 200, {}, self._collection("subscribedSkus", [json.loads(json.dumps(s)) for s in self.skus], query)
        if parts and parts[0] == "domains":
            return self._domains(method, parts[1:], query, body, roles)
        if parts and parts[0] == "users":
            return self._users(method, parts[1:], query, body, roles)
        raise Answer(400, _graph_error("BadRequest", f"Resource not found for the segment '{parts[0] if parts else ''}'."))

    def _authenticate(self, headers: Any) -> tuple[str, ...]:
        auth = str(headers.get("Authorization") or "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            raise Answer(401, _graph_error("InvalidAuthenticationToken", "Access token is empty."))
        with self.lock:
            issued = self.tokens.get(auth[7:].strip())
        if issued is None:
            raise Answer(401, _graph_error("InvalidAuthenticationToken", "Access token validation failure. Invalid audience."))
        if time.monotonic() >= issued.expires_at:
            raise Answer(401, _graph_error("InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."))
        return issued.roles

    def _permit(self, roles: tuple[str, ...], call: str) -> None:
        if not set(roles) & set(PERMITS[call]):
            raise Answer(403, _graph_error("Authorization_RequestDenied", "Insufficient privileges to complete the operation."))

    def _collection(self, name: str, items: list[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
        select = _selected(query)
        return {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#{name}",
            "value": [_project(item, select) if select else item for item in items],
        }

    def _organization(self) -> dict[str, Any]:
        with self.lock:
            verified = [
                {"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": d["isDefault"], "isInitial": d["isInitial"], "name": d["id"], "type": "Managed"}
                for d in self.domains.values()
                if d["isVerified"]
            ]
        return {
            "id": self.tenant_id,
            "deletedDateTime": None,
            "businessPhones": [],
            "city": None,
            "country": None,
            "countryLetterCode": "US",
            "createdDateTime": "2024-01-15T09:30:00Z",
            "displayName": "Mailwright Test",
            "tenantType": "AAD",
            "verifiedDomains": verified,
        }

    # ------------------------------------------------------------------ domains

    def _domains(self, method: str, rest: list[str], query: dict[str, str], body: Any, roles: tuple[str, ...]) -> tuple[int, dict[str, str], Any]:
        if not rest:
            if method == "GET":
                self._permit(roles, "read domains")
                with self.lock:
                    return 200, {}, self._collection("domains", [dict(d) for d in self.domains.values()], query)
            if method == "POST":
                self._permit(roles, "write domains")
                return self._create_domain(body)
        name = rest[0].lower()
        with self.lock:
            entry = self.domains.get(name)
        if len(rest) == 1 and method == "GET":
            self._permit(roles, "read domains")
            return 200, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains/$entity", **self._existing_domain(name, entry)}
        if len(rest) == 1 and method == "DELETE":
            self._permit(roles, "write domains")
            return self._delete_domain(name, entry)
        if len(rest) == 2 and rest[1] == "verificationDnsRecords" and method == "GET":
            self._permit(roles, "read domains")
            self._existing_domain(name, entry)
            return 200, {}, self._collection(f"domains('{name}')/verificationDnsRecords", self._verification_records(name), query)
        if len(rest) == 2 and rest[1] == "serviceConfigurationRecords" and method == "GET":
            self._permit(roles, "read domains")
            entry = self._existing_domain(name, entry)
            if not entry["isVerified"]:
                raise Answer(400, _graph_error("Request_BadRequest", f"The domain {name} is not verified, so it has no service configuration records yet."))
            return 200, {}, self._collection(f"domains('{name}')/serviceConfigurationRecords", self._service_records(name), query)
        if len(rest) == 2 and rest[1] == "verify" and method == "POST":
            self._permit(roles, "write domains")
            return self._verify(name, self._existing_domain(name, entry))
        raise Answer(405, _graph_error("Request_BadRequest", f"{method} is not allowed on this domain resource."))

    def _create_domain(self, body: Any) -> tuple[int, dict[str, str], Any]:
        name = str((body or {}).get("id") or "").lower().rstrip(".") if isinstance(body, dict) else ""
        if not re.fullmatch(r"([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}", name):
            raise Answer(400, _graph_error("Request_BadRequest", "Invalid value specified for property 'id' of resource 'Domain'."))
        with self.lock:
            if name in self.domains:
                raise Answer(400, _graph_error("Request_BadRequest", f"The domain {name} already exists in this tenant."))
            if name in self.foreign_domains:
                raise Answer(400, _graph_error("Request_BadRequest", f"The domain {name} is already verified in another tenant."))
            return 201, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains/$entity", **self._new_domain(name)}

    def _new_domain(self, name: str) -> dict[str, Any]:
        entry = {
            "authenticationType": "Managed",
            "availabilityStatus": None,
            "id": name,
            "isAdminManaged": True,
            "isDefault": False,
            "isInitial": False,
            "isRoot": True,
            "isVerified": False,
            "passwordNotificationWindowInDays": 14,
            "passwordValidityPeriodInDays": 2147483647,
            "supportedServices": [],
            "state": None,
        }
        self.domains[name] = entry
        self.verification_codes[name] = f"MS=ms{secrets.randbelow(10**8):08d}"
        return entry

    def _add_initial_domain(self) -> None:
        entry = self._new_domain(self.initial_domain)
        entry.update(
            isVerified=True, isInitial=True, isDefault=True, supportedServices=["Email", "OfficeCommunicationsOnline"],
            passwordValidityPeriodInDays=None, passwordNotificationWindowInDays=None,  # as "Get domain" shows the initial domain
        )

    def _existing_domain(self, name: str, entry: dict[str, Any] | None) -> dict[str, Any]:
        if entry is None:
            raise Answer(404, _graph_error("Request_ResourceNotFound", f"Resource '{name}' does not exist or one of its queried reference-property objects are not present."))
        return entry

    def _verification_records(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            code = self.verification_codes[name]
        token = code[len("MS="):]
        return [
            {
                "@odata.type": "#microsoft.graph.domainDnsTxtRecord",
                "id": _record_id(name, "verify-txt"),
                "isOptional": False,
                "label": name,
                "recordType": "Txt",
                "supportedService": "Email",
                "ttl": 3600,
                "text": code,
            },
            {
                "@odata.type": "#microsoft.graph.domainDnsMxRecord",
                "id": _record_id(name, "verify-mx"),
                "isOptional": False,
                "label": name,
                "recordType": "Mx",
                "supportedService": "Email",
                "ttl": 3600,
                "mailExchange": f"{token}.msv1.invalid",
                "preference": 32767,
            },
        ]

    def mx_token(self, name: str) -> str:
        return self.mx_tokens.get(name, name.replace(".", "-"))

    def _service_records(self, name: str) -> list[dict[str, Any]]:
        def record(kind: str, label: str, supported: str, **fields: Any) -> dict[str, Any]:
            return {
                "@odata.type": f"#microsoft.graph.domainDns{kind}Record",
                "id": _record_id(name, f"{kind}-{label}"),
                "isOptional": False,
                "label": label,
                "recordType": {"Cname": "CName"}.get(kind, kind),
                "supportedService": supported,
                "ttl": 3600,
                **fields,
            }

        return [
            record("Mx", name, "Email", mailExchange=f"{self.mx_token(name)}.{OUTLOOK_MX}", preference=0),
            record("Txt", name, "Email", text="v=spf1 include:spf.protection.outlook.com -all"),
            record("Cname", f"autodiscover.{name}", "Email", canonicalName="autodiscover.outlook.com"),
            record("Srv", f"_sip._tls.{name}", "OfficeCommunicationsOnline", nameTarget="sipdir.online.lync.com", port=443, priority=100, protocol="_tls", service="_sip", weight=1),
            record("Srv", f"_sipfederationtls._tcp.{name}", "OfficeCommunicationsOnline", nameTarget="sipfed.online.lync.com", port=5061, priority=100, protocol="_tcp", service="_sipfederationtls", weight=1),
            record("Cname", f"sip.{name}", "OfficeCommunicationsOnline", canonicalName="sipdir.online.lync.com"),
            record("Cname", f"lyncdiscover.{name}", "OfficeCommunicationsOnline", canonicalName="webdir.online.lync.com"),
            record("Cname", f"enterpriseregistration.{name}", "Intune", canonicalName="enterpriseregistration.windows.net"),
            record("Cname", f"enterpriseenrollment.{name}", "Intune", canonicalName="enterpriseenrollment-s.manage.microsoft.com"),
        ]

    def _verify(self, name: str, entry: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        if entry["isVerified"]:
            raise Answer(400, _graph_error("Request_BadRequest", f"The domain {name} is already verified."))
        with self.lock:
            code, server = self.verification_codes[name], self.dns_server
        served = self._served_txt(name, server)  # outside the lock: a DNS server may read this emulator
        if code not in served:
            raise Answer(400, _graph_error("Request_BadRequest", f"Domain verification failed: the TXT record {code} is not served for {name}."))
        with self.lock:
            entry["isVerified"] = True
            return 200, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains/$entity", **entry}

    @staticmethod
    def _served_txt(name: str, server: tuple[str, int] | None) -> set[str]:
        if server is None:
            return set()
        query = dns.message.make_query(name, dns.rdatatype.TXT)
        try:
            response, _ = dns.query.udp_with_fallback(query, server[0], port=server[1], timeout=2.0)
        except (dns.exception.DNSException, OSError):
            return set()
        return {
            b"".join(rdata.strings).decode(errors="replace")
            for rrset in response.answer
            if rrset.rdtype == dns.rdatatype.TXT
            for rdata in rrset
        }

    def _delete_domain(self, name: str, entry: dict[str, Any] | None) -> tuple[int, dict[str, str], Any]:
        self._existing_domain(name, entry)
        with self.lock:
            if name == self.initial_domain:
                raise Answer(400, _graph_error("Request_BadRequest", "The initial domain of the tenant cannot be deleted."))
            using = [u for u in self.users.values() if _uses_domain(u, name)]
            if using:
                raise Answer(400, _graph_error("Request_BadRequest", f"The domain {name} cannot be deleted: {len(using)} objects still use it."))
            del self.domains[name]
            self.verification_codes.pop(name, None)
        return 204, {}, None

    # ------------------------------------------------------------------ users

    def _users(self, method: str, rest: list[str], query: dict[str, str], body: Any, roles: tuple[str, ...]) -> tuple[int, dict[str, str], Any]:
        if not rest:
            if method == "GET":
                self._permit(roles, "read users")
                return self._list_users(query)
            if method == "POST":
                self._permit(roles, "write users")
                with self.lock:
                    user = self._new_user(body)
                    return 201, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", **_project(user, USER_DEFAULT_FIELDS)}
        with self.lock:
            user = self._find_user(rest[0])
        if len(rest) == 1 and method == "GET":
            self._permit(roles, "read users")
            user = self._existing_user(rest[0], user)
            select = _selected(query) or USER_DEFAULT_FIELDS
            return 200, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", **_project(user, select)}
        if len(rest) == 1 and method == "PATCH":
            self._permit(roles, "write users")
            with self.lock:
                self._update_user(self._existing_user(rest[0], user), body)
            return 204, {}, None
        if len(rest) == 1 and method == "DELETE":
            self._permit(roles, "write users")
            with self.lock:
                user = self._existing_user(rest[0], user)
                for held in user["assignedLicenses"]:
                    sku = self._sku_by_id(held["skuId"])
                    if sku is not None:
                        sku["consumedUnits"] = max(sku["consumedUnits"] - 1, 0)
                del self.users[user["id"]]
                self.photos.pop(user["id"], None)
            return 204, {}, None
        if len(rest) == 2 and rest[1] == "assignLicense" and method == "POST":
            self._permit(roles, "assignLicense")
            with self.lock:
                user = self._existing_user(rest[0], user)
                self._assign(user, body)
                return 200, {}, {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity", **_project(user, USER_DEFAULT_FIELDS)}
        raise Answer(405, _graph_error("Request_BadRequest", f"{method} is not allowed on this user resource."))

    def _find_user(self, key: str) -> dict[str, Any] | None:
        if key in self.users:
            return self.users[key]
        return next((u for u in self.users.values() if u["userPrincipalName"].lower() == key.lower()), None)

    def _existing_user(self, key: str, user: dict[str, Any] | None) -> dict[str, Any]:
        if user is None:
            raise Answer(404, _graph_error("Request_ResourceNotFound", f"Resource '{key}' does not exist or one of its queried reference-property objects are not present."))
        return user

    def _list_users(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if "$filter" in query or "$search" in query:
            raise Answer(400, _graph_error("Request_UnsupportedQuery", "This emulator answers $select, $top and $skiptoken only."))
        try:
            top = int(query.get("$top") or DEFAULT_TOP)
        except ValueError:
            top = 0
        if not 1 <= top <= MAX_TOP:
            raise Answer(400, _graph_error("Request_UnsupportedQuery", f"Invalid page size specified: '{query.get('$top')}'. Must be between 1 and {MAX_TOP} inclusive."))
        start = int(query.get("$skiptoken") or 0) if (query.get("$skiptoken") or "0").isdigit() else 0
        with self.lock:
            ordered = sorted(self.users.values(), key=lambda u: u["createdOrder"])
            page = ordered[start:start + top]
            select = _selected(query) or USER_DEFAULT_FIELDS
            body: dict[str, Any] = {
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "value": [_project(u, select) for u in page],
            }
            if start + top < len(ordered):
                kept = {k: v for k, v in query.items() if k in ("$select", "$top")}
                kept["$skiptoken"] = str(start + top)
                body["@odata.nextLink"] = f"{self.graph_base}/users?{urllib.parse.urlencode(kept, safe='$,')}"
        return 200, {}, body

    def _new_user(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise Answer(400, _graph_error("Request_BadRequest", "A JSON body is required."))
        for field in ("accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"):
            if body.get(field) in (None, ""):
                raise Answer(400, _graph_error("Request_BadRequest", f"Invalid value specified for property '{field}' of resource 'User'."))
        unknown = set(body) - USER_WRITABLE
        if unknown:
            raise Answer(400, _graph_error("Request_BadRequest", f"Property '{sorted(unknown)[0]}' does not exist on type 'microsoft.graph.user'."))
        upn = str(body["userPrincipalName"])
        self._check_upn(upn, None)
        if upn.lower() in self.refuse_users:
            raise Answer(400, _graph_error("Request_BadRequest", self.refuse_users[upn.lower()]))
        password = str((body["passwordProfile"] or {}).get("password") or "")
        if not _meets_policy(password):
            raise Answer(400, _graph_error("Request_BadRequest", "The specified password does not comply with password complexity requirements. Please provide a different password."))
        self._check_usage_location(body.get("usageLocation"))
        attributes = {f"extensionAttribute{i}": None for i in range(1, 16)}
        attributes.update((body.get("onPremisesExtensionAttributes") or {}))
        user = {
            "id": str(uuid.uuid4()),
            "businessPhones": [],
            "displayName": body["displayName"],
            "givenName": body.get("givenName"),
            "jobTitle": body.get("jobTitle"),
            "mail": None,  # set by Exchange Online once the user has a mailbox (a licence)
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": None,
            "surname": body.get("surname"),
            "userPrincipalName": upn,
            "accountEnabled": bool(body["accountEnabled"]),
            "mailNickname": body["mailNickname"],
            "usageLocation": body.get("usageLocation"),
            "assignedLicenses": [],
            "onPremisesExtensionAttributes": attributes,
            "proxyAddresses": [],
            "passwordProfile": dict(body["passwordProfile"]),
            "createdOrder": next(self._created),
        }
        self.users[user["id"]] = user
        return user

    def _check_upn(self, upn: str, own_id: str | None) -> None:
        local, _, domain = upn.rpartition("@")
        entry = self.domains.get(domain.lower())
        if not local or entry is None or not entry["isVerified"]:
            raise Answer(400, _graph_error("Request_BadRequest", "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."))
        other = self._find_user(upn)
        if other is not None and other["id"] != own_id:
            raise Answer(400, _graph_error("Request_BadRequest", "Another object with the same value for property userPrincipalName already exists."))

    @staticmethod
    def _check_usage_location(value: Any) -> None:
        if value is not None and not (isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value)):
            raise Answer(400, _graph_error("Request_BadRequest", "Invalid value specified for property 'usageLocation' of resource 'User'."))

    def _update_user(self, user: dict[str, Any], body: Any) -> None:
        if not isinstance(body, dict) or not body:
            raise Answer(400, _graph_error("Request_BadRequest", "A JSON body with the properties to change is required."))
        unknown = set(body) - USER_WRITABLE
        if unknown:
            raise Answer(400, _graph_error("Request_BadRequest", f"Property '{sorted(unknown)[0]}' does not exist on type 'microsoft.graph.user'."))
        if "userPrincipalName" in body:
            self._check_upn(str(body["userPrincipalName"]), user["id"])
        if "displayName" in body and not body["displayName"]:
            raise Answer(400, _graph_error("Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'User'."))
        if "usageLocation" in body:
            self._check_usage_location(body["usageLocation"])
        for key, value in body.items():
            if key == "onPremisesExtensionAttributes":
                user[key].update(value or {})
            elif key == "mail":
                if user["mail"] and f"smtp:{user['mail']}" not in user["proxyAddresses"]:
                    user["proxyAddresses"].append(f"smtp:{user['mail']}")  # the old address stays an alias
                user["mail"] = value
            else:
                user[key] = value

    def _assign(self, user: dict[str, Any], body: Any) -> None:
        adds = (body or {}).get("addLicenses") if isinstance(body, dict) else None
        removes = (body or {}).get("removeLicenses") if isinstance(body, dict) else None
        if not isinstance(adds, list) or not isinstance(removes, list):
            raise Answer(400, _graph_error("Request_BadRequest", "Invalid value specified for property 'addLicenses' or 'removeLicenses'."))
        held = {h["skuId"].lower() for h in user["assignedLicenses"]}
        for add in adds:
            sku = self._sku_by_id(str((add or {}).get("skuId") or ""))
            if sku is None:
                raise Answer(400, _graph_error("Request_BadRequest", f"License {(add or {}).get('skuId')} does not correspond to a valid company License."))
            if not user.get("usageLocation"):
                raise Answer(400, _graph_error("Request_BadRequest", "License assignment cannot be done for user with invalid usage location."))
            if sku["skuId"].lower() in held:
                continue
            if sku["prepaidUnits"]["enabled"] - sku["consumedUnits"] <= 0:
                raise Answer(400, _graph_error("Request_BadRequest", f"Subscription with SKU {sku['skuId']} does not have any available licenses."))
            sku["consumedUnits"] += 1
            user["assignedLicenses"].append({"disabledPlans": list(add.get("disabledPlans") or []), "skuId": sku["skuId"]})
            user["mail"] = user["mail"] or user["userPrincipalName"]  # Exchange Online makes the mailbox
        for sku_id in removes:
            if str(sku_id).lower() in held:
                user["assignedLicenses"] = [h for h in user["assignedLicenses"] if h["skuId"].lower() != str(sku_id).lower()]
                sku = self._sku_by_id(str(sku_id))
                if sku is not None:
                    sku["consumedUnits"] = max(sku["consumedUnits"] - 1, 0)

    def _put_photo(self, key: str, raw: bytes, content_type: str) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            user = self._existing_user(key, self._find_user(key))
            if not user["assignedLicenses"]:
                raise Answer(404, _graph_error("MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, or is hosted on-premise."))
            if content_type.split(";")[0].strip().lower() not in ("image/jpeg", "image/png", "image/gif"):
                raise Answer(400, _graph_error("ErrorInvalidImage", "The image is not a JPEG, PNG or GIF picture."))
            if not raw or len(raw) > MAX_PHOTO:
                raise Answer(400, _graph_error("ErrorInvalidImage", "The photo must hold between 1 byte and 4 MB."))
            self.photos[user["id"]] = (raw, content_type)
        return 200, {}, None

    def _sku_by_id(self, sku_id: str) -> dict[str, Any] | None:
        return next((s for s in self.skus if s["skuId"].lower() == sku_id.lower()), None)

    def _sku_named(self, part_number: str) -> dict[str, Any]:
        return next(s for s in self.skus if s["skuPartNumber"] == part_number)


# ---------------------------------------------------------------------- helpers


def _graph_error(code: str, message: str, inner: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                **(inner or {}),
                "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


def _sts(status: int, error: str, code: int, text: str) -> Answer:
    """An identity platform refusal, as the token endpoint words it."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    return Answer(status, {
        "error": error,
        "error_description": f"AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    })


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _json_body(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise Answer(400, _graph_error("BadRequest", "Unable to read JSON request payload.")) from exc


def _selected(query: dict[str, str]) -> tuple[str, ...]:
    return tuple(f.strip() for f in query.get("$select", "").split(",") if f.strip())


def _project(item: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The item's `fields` (id always), as $select answers: never a password."""
    return {f: item.get(f) for f in ("id", *fields) if f != "passwordProfile" and (f in item or f != "id")}


def _record_id(domain: str, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{what}.{domain}"))


def _uses_domain(user: dict[str, Any], domain: str) -> bool:
    suffix = "@" + domain
    addresses = [user["userPrincipalName"], user.get("mail") or "", *(a.split(":", 1)[-1] for a in user.get("proxyAddresses") or [])]
    return any(a.lower().endswith(suffix) for a in addresses)


def _meets_policy(password: str) -> bool:
    if not 8 <= len(password) <= 256:
        return False
    kinds = [any(c.islower() for c in password), any(c.isupper() for c in password), any(c.isdigit() for c in password),
             any(not c.isalnum() for c in password)]
    return sum(kinds) >= 3
