"""A DnsHost on Cloudflare's DNS (MAILWRIGHT_DNS_HOST=cloudflare), through its public API v4:

- https://developers.cloudflare.com/fundamentals/api/ (Bearer API tokens; every answer is the
  envelope {"success", "errors": [{"code", "message"}], "messages", "result", "result_info"})
- https://developers.cloudflare.com/api/resources/user/subresources/tokens/methods/verify/ and
  .../accounts/subresources/tokens/methods/verify/ (`check`)
- https://developers.cloudflare.com/api/resources/zones/ (list with `name`, `account.id`, `page`,
  `per_page`; create with {name, account: {id}, type: "full"}, whose answer carries the zone's
  assigned `name_servers`)
- https://developers.cloudflare.com/api/resources/dns/subresources/records/ (list with `type`,
  `name`, `page`, `per_page`; create, overwrite (PUT), edit (PATCH), delete)
- https://developers.cloudflare.com/fundamentals/api/reference/limits/ (1200 requests per five
  minutes per user; 429 with Retry-After, retried through providers/http.py)

Choices:
- The token needs Zone → Zone → Edit and Zone → DNS → Edit on the account
  MAILWRIGHT_CLOUDFLARE_ACCOUNT_ID. Zones are looked for in that account only, and created there
  with type "full" (Cloudflare answers for the zone once the registrar delegates to the
  nameservers it assigned: `ensure_zone` returns them for that delegation).
- Record names go to Cloudflare as full names (www.example.com); Mailwright's are zone-relative.
- Records are compared by type, name and content (priority included for MX and SRV), read back
  through dnspython, so "mx.example.com" and "MX.example.com." are one record. `replace_records`
  looks before it writes: for each (name, type) it keeps what is already right, overwrites a
  surplus record with a missing one, creates the rest and deletes what is left; a retry after a
  crash finds its own work and duplicates nothing.
- TXT content is sent as RFC 1035 quoted character strings of at most 255 bytes each, as
  Cloudflare's record documentation asks ("v=DKIM1; ..." "...rest"), and read back the same way.
- SRV and CAA go as Cloudflare's structured `data`; A, AAAA and CNAME records are DNS only
  (`proxied: false`): mail records must resolve to what they say. TTLs below Cloudflare's minimum
  of 60 s are raised to it.
- Web redirects are not DNS at Cloudflare: they are Redirect Rules (Single Redirects), which need
  a token with the zone's Single Redirect (rulesets) permission and a proxied record; a DNS-only
  token cannot make them, and Cloudflare has no masked (framed) forwarding at all. So
  `set_web_redirect` refuses with the steps for a person (the domain stays usable), and WEB_REDIRECT
  is not among SUPPORTS.

Errors: an invalid, expired or under-privileged token (HTTP 401/403, codes 1000, 9109, 10000 and
the like) parks the item (NeedsActionError naming the permissions); a zone that exists in another
Cloudflare account parks it with that instruction; any other refusal is terminal."""

from __future__ import annotations

import re
import socket
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import dns.exception

from mailwright.config import Settings, SettingProblem, required
from mailwright.dns.records import txt_strings
from mailwright.dns.zone import to_rdata
from mailwright.providers.base import (
    Capability,
    NeedsActionError,
    ProviderUnavailable,
    RecordSpec,
    RetriableError,
    TerminalError,
)
from mailwright.providers.http import DEFAULT_TIMEOUT_SECONDS, ProviderHttp

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
WHY = "MAILWRIGHT_DNS_HOST=cloudflare"
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")

# Codes Cloudflare answers for a token it does not accept: 1000 invalid API token, 6003/6111
# malformed Authorization header, 9103/9106/9109 unknown or missing credentials, 10000
# authentication error (also: the token lacks the permission for this call).
AUTH_CODES = frozenset({1000, 6003, 6111, 9103, 9106, 9109, 10000})
ZONE_EXISTS = 1061  # "<name> already exists"
ZONE_UNKNOWN = 7003  # "Could not route to /zones/<id>/...": no such zone (any more)
NOT_REGISTERED = 1049  # "<name> is not a registered domain" (the registry does not know it yet)
TOKEN_PERMISSIONS = "Zone → Zone → Edit and Zone → DNS → Edit"
MIN_TTL, MAX_TTL = 60, 86400
MAX_PAGES = 1000
DATA_TYPES = ("SRV", "CAA")  # sent and read as Cloudflare's structured `data`
PROXIABLE = ("A", "AAAA", "CNAME")

Resolver = Callable[[str], list[str]]


class CloudflareRefused(TerminalError):
    """A refusal in Cloudflare's own words, with its error codes for callers that tell them apart."""

    def __init__(self, message: str, status: int, codes: tuple[int, ...]) -> None:
        super().__init__(message)
        self.status = status
        self.codes = codes


class CloudflareDnsHost:
    # Redirects need rulesets permissions a DNS token lacks (module docstring).
    # Cloudflare allows 1200 requests per five minutes per user; a step makes up to twenty (a zone's
    # records: list, compare, write): at most 60 steps per five minutes (provisioning/queues.py).
    STEP_RATE = (60, 300)
    SUPPORTS = frozenset({Capability.ZONES, Capability.DNS_RECORDS})
    ZONES_PER_PAGE = 50  # Cloudflare's maximum for zones
    RECORDS_PER_PAGE = 100

    def __init__(
        self,
        api_token: str,
        account_id: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        resolve: Resolver | None = None,
    ) -> None:
        self.account_id = account_id
        self.http = ProviderHttp(
            "Cloudflare", base_url, headers={"Authorization": f"Bearer {api_token}"}, timeout=timeout
        )
        self.resolve = resolve or _addresses
        self._zones: dict[str, dict[str, Any]] = {}  # domain -> {"id", "name_servers"}; ids never change

    @classmethod
    def from_settings(cls, settings: Settings) -> CloudflareDnsHost:
        token = required(settings, "cloudflare_api_token", WHY)
        account_id = required(settings, "cloudflare_account_id", WHY).lower()
        if not ACCOUNT_ID.match(account_id):
            raise SettingProblem(
                "cloudflare_account_id",
                "must be the 32-character account ID of the Cloudflare dashboard (Account Home → the account's menu → Copy account ID)",
            )
        base_url = required(settings, "cloudflare_base_url", WHY)
        if not base_url.startswith(("https://", "http://")):
            raise SettingProblem("cloudflare_base_url", f"must be an http(s) URL such as {DEFAULT_BASE_URL}")
        return cls(token, account_id, base_url)

    def close(self) -> None:
        self.http.close()

    # ------------------------------------------------------------------ check

    def probe(self) -> str:
        """What the cheapest authenticated call confirmed: the token is active. A user token is
        verified at /user/tokens/verify, an account-owned one at /accounts/{id}/tokens/verify."""
        try:
            body = self._call("GET", "user/tokens/verify", what="verifying the API token")
        except NeedsActionError as user_refusal:
            try:
                body = self._call("GET", f"accounts/{self.account_id}/tokens/verify", what="verifying the API token")
            except (NeedsActionError, CloudflareRefused):
                raise user_refusal from None
        result = body.get("result") or {}
        status = result.get("status") if isinstance(result, dict) else None
        if status != "active":
            raise NeedsActionError(
                f"The Cloudflare API token is {status or 'not active'}: create an active token with "
                f"{TOKEN_PERMISSIONS} and set it as MAILWRIGHT_CLOUDFLARE_API_TOKEN"
            )
        expires = result.get("expires_on")
        return f"token active (expires {expires})" if expires else "token active"

    # ------------------------------------------------------------------ DnsHost

    def ensure_zone(self, domain: str) -> tuple[str, ...]:
        domain = _domain(domain)
        zone = self._find_zone(domain)
        if zone is None:
            try:
                body = self._call(
                    "POST",
                    "zones",
                    json={"name": domain, "account": {"id": self.account_id}, "type": "full"},
                    what=f"creating the zone {domain}",
                )
                zone = self._remember(domain, body.get("result"))
            except CloudflareRefused as exc:
                if NOT_REGISTERED in exc.codes:
                    raise RetriableError(
                        f"Cloudflare does not see {domain} as registered yet ({exc}); the registry's data may still be on its way",
                        retry_after=300,
                    ) from exc
                if ZONE_EXISTS not in exc.codes:
                    raise
                # Created meanwhile (a retry after a crash), or held by another account.
                zone = self._find_zone(domain, fresh=True)
                if zone is None:
                    raise NeedsActionError(
                        f"The zone {domain} already exists in another Cloudflare account: delete it there (or move it "
                        f"to the account {self.account_id} that MAILWRIGHT_CLOUDFLARE_ACCOUNT_ID names)"
                    ) from exc
        return self._nameservers_of(domain, zone)

    def replace_records(self, domain: str, records: list[RecordSpec]) -> None:
        domain = _domain(domain)
        zone_id = self._zone_id(domain)
        grouped: dict[tuple[str, str], list[RecordSpec]] = defaultdict(list)
        for spec in records:
            grouped[(fqdn(spec.name, domain), spec.type.upper())].append(spec)
        for (name, rtype), specs in grouped.items():
            self._replace_rrset(domain, zone_id, name, rtype, specs)

    def remove_records(self, domain: str, name: str, type: str) -> None:
        domain = _domain(domain)
        zone = self._find_zone(domain)
        if zone is None:
            return  # no zone: nothing is served, nothing to remove
        for record in self._records(domain, zone["id"], type.upper(), fqdn(name, domain)):
            self._delete(domain, zone["id"], record)

    def set_web_redirect(self, domain: str, url: str | None, *, masked: bool = False) -> None:
        if url is None:
            return  # Mailwright never makes a redirect at Cloudflare, so there is none of its own to stop
        framed = " Cloudflare has no masked (framed) forwarding: only a plain redirect can be made." if masked else ""
        raise NeedsActionError(
            f"Cloudflare makes web redirects with Redirect Rules, not DNS records, and the DNS-only API token "
            f"({TOKEN_PERMISSIONS}) may not edit them. To forward {domain} to {url}, add a Single Redirect rule in the "
            f"Cloudflare dashboard (Rules → Redirect Rules) and a proxied record for {domain}.{framed}"
        )

    def nameservers(self, domain: str) -> tuple[str, ...]:
        domain = _domain(domain)
        zone = self._find_zone(domain)
        if zone is None:
            raise TerminalError(f"Cloudflare has no zone {domain} in the account {self.account_id}")
        return self._nameservers_of(domain, zone)

    def query_servers(self, domain: str) -> tuple[tuple[str, int], ...]:
        nameservers = self.nameservers(domain)
        servers = tuple((address, 53) for ns in nameservers for address in self.resolve(ns))
        if not servers:
            raise ProviderUnavailable(f"None of the Cloudflare nameservers of {domain} ({', '.join(nameservers)}) resolves")
        return servers

    # ------------------------------------------------------------------ zones

    def _find_zone(self, domain: str, *, fresh: bool = False) -> dict[str, Any] | None:
        if not fresh and domain in self._zones:
            return self._zones[domain]
        params = {"name": domain, "account.id": self.account_id}
        for zone in self._pages("zones", params, self.ZONES_PER_PAGE, what=f"looking for the zone {domain}"):
            if isinstance(zone, dict) and str(zone.get("name", "")).lower() == domain:
                return self._remember(domain, zone)
        self._zones.pop(domain, None)
        return None

    def _remember(self, domain: str, zone: Any) -> dict[str, Any]:
        if not isinstance(zone, dict) or not zone.get("id"):
            raise RetriableError(f"Cloudflare answered about the zone {domain} without its id")
        kept = {"id": str(zone["id"]), "name_servers": tuple(str(ns) for ns in zone.get("name_servers") or ())}
        self._zones[domain] = kept
        return kept

    def _zone_id(self, domain: str) -> str:
        zone = self._find_zone(domain)
        if zone is None:
            raise TerminalError(f"Cloudflare has no zone {domain} in the account {self.account_id}")
        return str(zone["id"])

    def _nameservers_of(self, domain: str, zone: dict[str, Any]) -> tuple[str, ...]:
        if not zone["name_servers"]:
            raise RetriableError(f"Cloudflare has not assigned nameservers to the zone {domain} yet")
        return tuple(zone["name_servers"])

    # ------------------------------------------------------------------ records

    def _replace_rrset(self, domain: str, zone_id: str, name: str, rtype: str, specs: list[RecordSpec]) -> None:
        wanted: dict[object, RecordSpec] = {}
        for spec in specs:
            wanted.setdefault(spec_key(spec), spec)
        kept: dict[object, dict[str, Any]] = {}
        surplus: list[dict[str, Any]] = []
        for record in self._records(domain, zone_id, rtype, name):
            key = record_key(record)
            if key in wanted and key not in kept:
                kept[key] = record
            else:
                surplus.append(record)
        for key, record in kept.items():
            body = record_body(name, wanted[key])
            if record.get("ttl") != body["ttl"] or ("proxied" in body and record.get("proxied")):
                changes = {"ttl": body["ttl"], **({"proxied": False} if "proxied" in body else {})}
                self._call("PATCH", f"zones/{zone_id}/dns_records/{record['id']}", json=changes, what=f"changing {rtype} {name}")
        for key, spec in wanted.items():
            if key in kept:
                continue
            body = record_body(name, spec)
            if surplus:  # overwrite a record that is no longer wanted: one call, and never a moment with none
                record = surplus.pop()
                self._call("PUT", f"zones/{zone_id}/dns_records/{record['id']}", json=body, what=f"overwriting {rtype} {name}")
            else:
                self._call("POST", f"zones/{zone_id}/dns_records", json=body, what=f"creating {rtype} {name}")
        for record in surplus:
            self._delete(domain, zone_id, record)

    def _records(self, domain: str, zone_id: str, rtype: str, name: str) -> Iterator[dict[str, Any]]:
        params = {"type": rtype, "name": name}
        for record in self._pages(f"zones/{zone_id}/dns_records", params, self.RECORDS_PER_PAGE, what=f"listing {rtype} {name}", domain=domain):
            # The filters are exact at Cloudflare; checked again, as a record is only ever removed deliberately.
            if isinstance(record, dict) and record.get("type") == rtype and str(record.get("name", "")).lower() == name:
                yield record

    def _delete(self, domain: str, zone_id: str, record: dict[str, Any]) -> None:
        try:
            self._call("DELETE", f"zones/{zone_id}/dns_records/{record['id']}", what=f"deleting {record.get('type')} {record.get('name')}", domain=domain)
        except CloudflareRefused as exc:
            if exc.status != 404:
                raise  # 404: already gone, which is what was asked

    # ------------------------------------------------------------------ wire

    def _pages(self, path: str, params: dict[str, str], per_page: int, *, what: str, domain: str | None = None) -> Iterator[Any]:
        """Every page of a list, as result_info says how many there are."""
        page = 1
        while True:
            body = self._call("GET", path, params={**params, "page": str(page), "per_page": str(per_page)}, what=what, domain=domain)
            result = body.get("result") or []
            if not isinstance(result, list):
                raise RetriableError(f"Cloudflare answered {what} with a result that is not a list")
            yield from result
            info = body.get("result_info") or {}
            total_pages = info.get("total_pages") if isinstance(info, dict) else None
            if isinstance(total_pages, int):
                more = page < total_pages
            else:  # no page count: a full page means there may be another
                more = len(result) >= int(info.get("per_page") or per_page) if isinstance(info, dict) and result else False
            if not more or page >= MAX_PAGES:
                return
            page += 1

    def _call(self, method: str, path: str, *, what: str, domain: str | None = None, **kwargs: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kwargs)  # 429/5xx/no answer: RetriableError
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RetriableError(f"Cloudflare answered {what} with HTTP {response.status_code} and no JSON envelope")
        if response.is_success and body.get("success") is True:
            return body
        errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
        codes = tuple(int(e["code"]) for e in errors if isinstance(e.get("code"), int))
        said = "; ".join(f"{e.get('message', 'error')} (code {e.get('code')})" for e in errors) or f"HTTP {response.status_code}"
        if response.status_code in (401, 403) or AUTH_CODES.intersection(codes):
            raise NeedsActionError(
                f"Cloudflare refused the API token while {what} ({said}): MAILWRIGHT_CLOUDFLARE_API_TOKEN must be an "
                f"active token with {TOKEN_PERMISSIONS} on the account MAILWRIGHT_CLOUDFLARE_ACCOUNT_ID "
                "(Cloudflare dashboard → My Profile → API Tokens)"
            )
        if (response.status_code == 404 or ZONE_UNKNOWN in codes) and domain is not None and method != "DELETE":
            self._zones.pop(domain, None)  # the zone went away: look it up afresh next time
            raise RetriableError(f"Cloudflare no longer knows the zone of {domain} ({said})")
        raise CloudflareRefused(f"Cloudflare refused {what}: {said}", response.status_code, codes)


# ------------------------------------------------------------------ records as Cloudflare has them


def _domain(domain: str) -> str:
    return domain.rstrip(".").lower()


def fqdn(name: str, domain: str) -> str:
    """Cloudflare's record name for a zone-relative one ("@" is the apex)."""
    name = name.rstrip(".").lower()
    if name in ("@", ""):
        return domain
    return name if name == domain or name.endswith("." + domain) else f"{name}.{domain}"


def quote_txt(value: str) -> str:
    """TXT content as Cloudflare asks for it: RFC 1035 quoted strings of at most 255 bytes."""
    parts = []
    for chunk in txt_strings(value):
        text = chunk.decode("utf-8", errors="surrogateescape")
        parts.append('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(parts)


def unquote_txt(content: str) -> str:
    """The text of TXT content: quoted strings joined (as a DNS client joins them); content
    without quotes (as Cloudflare stored it before quoting was asked for) is the text itself."""
    content = content.strip()
    if not content.startswith('"'):
        return content
    out: list[str] = []
    i, n = 0, len(content)
    while i < n:
        if content[i] != '"':
            i += 1
            continue
        i += 1
        while i < n and content[i] != '"':
            if content[i] == "\\" and i + 1 < n:
                i += 1
            out.append(content[i])
            i += 1
        i += 1
    return "".join(out)


def record_body(name: str, spec: RecordSpec) -> dict[str, Any]:
    """The JSON of a DNS record create or overwrite."""
    rtype = spec.type.upper()
    body: dict[str, Any] = {"type": rtype, "name": name, "ttl": min(max(spec.ttl, MIN_TTL), MAX_TTL)}
    if rtype == "TXT":
        body["content"] = quote_txt(spec.value)
    elif rtype == "SRV":
        weight, port, target = spec.value.split()
        body["data"] = {"priority": spec.priority or 0, "weight": int(weight), "port": int(port), "target": target.rstrip(".")}
    elif rtype == "CAA":
        flags, tag, value = spec.value.split(None, 2)
        body["data"] = {"flags": int(flags), "tag": tag, "value": value.strip('"')}
    elif rtype in ("CNAME", "MX", "NS"):
        body["content"] = spec.value.rstrip(".")
    else:
        body["content"] = spec.value
    if rtype == "MX":
        body["priority"] = spec.priority or 0
    if rtype in PROXIABLE:
        body["proxied"] = False
    return body


def spec_key(spec: RecordSpec) -> object:
    if spec.type.upper() == "TXT":
        return ("TXT", spec.value)
    return to_rdata(spec)


def record_key(record: dict[str, Any]) -> object:
    """What a listed record says, comparable with spec_key (None: unreadable, never equal)."""
    rtype = str(record.get("type", "")).upper()
    content = str(record.get("content") or "")
    data = record.get("data") if isinstance(record.get("data"), dict) else {}
    if rtype == "TXT":
        return ("TXT", unquote_txt(content))
    try:
        if rtype == "SRV" and data:
            value = f"{data.get('weight')} {data.get('port')} {str(data.get('target') or '').rstrip('.')}."
            return to_rdata(RecordSpec("SRV", "@", value, priority=int(data.get("priority") or 0)))
        if rtype == "CAA" and data:
            return to_rdata(RecordSpec("CAA", "@", f"{data.get('flags')} {data.get('tag')} \"{data.get('value')}\""))
        return to_rdata(RecordSpec(rtype, "@", content, priority=record.get("priority")))
    except (dns.exception.DNSException, ValueError, TypeError):
        return ("unreadable", record.get("id"))


def _addresses(host: str) -> list[str]:
    """IPv4 then IPv6 addresses of a nameserver; none when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, 53, type=socket.SOCK_DGRAM)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos}, key=lambda a: ":" in a)

