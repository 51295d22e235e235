"""Reading this face's order requests (multipart form or JSON) into the core's face-neutral
requests, naming every problem by the caller's own field names.

Empty strings mean "not given" (clients fill every form field, as the family's curl sample does),
and an empty file part (no filename or no bytes) means "no picture"."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from mailwright import validation as check
from mailwright.domains.names import LOCAL_PART_RULE, normalize_domain, normalize_local_part
from mailwright.errors import FieldIssues
from mailwright.mailboxes.pictures import MAX_BYTES, CheckedPicture, DecodeBudget, PictureRejected, check_picture
from mailwright.orders.requests import OrderOptions, RequestedDomain, RequestedMailbox

SERVICE_PROVIDERS = ("GOOGLE", "MICROSOFT")
BILLING_CYCLES = ("MONTHLY",)
USERNAME_FORMAT = LOCAL_PART_RULE
NAME_MAX = 60


@dataclass
class OrderForm:
    """A create-order request as the core needs it."""

    provider: str | None
    domains: list[RequestedDomain]
    mailboxes: list[RequestedMailbox]
    options: OrderOptions
    confirm: bool
    # Mailbox address -> the form field its picture came in (to name it in errors).
    picture_fields: dict[str, str] = field(default_factory=dict)


# A form field whose JSON could not be parsed (already reported; nothing more to say about it).
MALFORMED = object()


def not_given(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def flag(issues: FieldIssues, name: str, value: Any, *, default: bool | None = False) -> bool | None:
    """true/false (JSON or form text); empty or missing means `default`."""
    if not_given(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    issues.add(name, "Must be true or false", check.shown(value))
    return False


def json_field(issues: FieldIssues, name: str, value: Any) -> Any:
    """A form field holding JSON; a malformed one is named with the parser's complaint."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except ValueError as exc:
        issues.add(name, f"Must be valid JSON: {exc}", value[:200])
        return MALFORMED


def service_provider(issues: FieldIssues, value: Any, offered: tuple[str, ...]) -> str | None:
    """GOOGLE unless given; `offered`: the mailbox providers this server sells (an operator may
    withdraw one: MAILWRIGHT_MAILBOX_HOSTS "off")."""
    valid = [p for p in SERVICE_PROVIDERS if p in offered]
    if not_given(value) and "GOOGLE" in valid:
        return "GOOGLE"
    if isinstance(value, str) and value.strip().upper() in valid:
        return value.strip().upper()
    issues.add("serviceProvider", "Valid values are " + ", ".join(valid), check.shown(value))
    return None


def billing_cycle(issues: FieldIssues, value: Any) -> str:
    if not_given(value) or (isinstance(value, str) and value.strip().upper() in BILLING_CYCLES):
        return "MONTHLY"
    issues.add("billingCycle", "Only MONTHLY is accepted", check.shown(value))
    return "MONTHLY"


def export_settings(issues: FieldIssues, microsoft_route: Any, google: Any) -> dict[str, Any] | None:
    """microsoftOauthRoute and google{googleOauthRoute, clientId, appName}; empty members are not given."""
    settings: dict[str, Any] = {}
    if not not_given(microsoft_route):
        url = check.web_url(issues, "microsoftOauthRoute", microsoft_route)
        if url:
            settings["microsoftOauthRoute"] = url
    if google is None or google is MALFORMED:
        return settings or None
    if not isinstance(google, dict):
        issues.add("google", "Must be an object with googleOauthRoute, clientId and appName", check.shown(google))
        return settings or None
    clean: dict[str, Any] = {}
    route = google.get("googleOauthRoute")
    if not not_given(route):
        clean["googleOauthRoute"] = check.web_url(issues, "google.googleOauthRoute", route)
    client_id = google.get("clientId")
    if not not_given(client_id):
        if isinstance(client_id, bool) or not isinstance(client_id, (int, str)) or len(str(client_id)) > 200:
            issues.add("google.clientId", "Must be a number or a string of at most 200 characters", check.shown(client_id))
        else:
            clean["clientId"] = str(client_id).strip()
    app_name = google.get("appName")
    if not not_given(app_name):
        clean["appName"] = check.text(issues, "google.appName", app_name, max_length=100)
    unknown = sorted(set(google) - {"googleOauthRoute", "clientId", "appName"})
    for name in unknown:
        issues.add(f"google.{name}", "Unknown field; expected googleOauthRoute, clientId, appName", check.shown(google[name]))
    if clean:
        settings["google"] = clean
    return settings or None


def domains_list(issues: FieldIssues, value: Any, max_items: int) -> list[RequestedDomain]:
    if value is MALFORMED:
        return []
    if value is None:
        issues.add("domains", check.REQUIRED, None)
        return []
    if not isinstance(value, list):
        issues.add("domains", "Must be a JSON array of {domain, years, forwardTo, maskForwarding}", check.shown(value))
        return []
    if not value:
        issues.add("domains", "Must contain at least one domain", "[]")
        return []
    if len(value) > max_items:
        issues.add("domains", f"Must contain at most {max_items} domains", f"{len(value)} items")
        return []
    items = []
    for i, item in enumerate(value):
        prefix = f"domains[{i}]"
        if not isinstance(item, dict):
            issues.add(prefix, "Must be an object with domain, years, forwardTo and maskForwarding", check.shown(item))
            continue
        years = item.get("years")
        items.append(
            RequestedDomain(
                item.get("domain"),
                f"{prefix}.domain",
                years=1 if years is None else years,
                forward_to=item.get("forwardTo"),
                mask_forwarding=item.get("maskForwarding"),
                years_field=f"{prefix}.years",
                forward_to_field=f"{prefix}.forwardTo",
                mask_forwarding_field=f"{prefix}.maskForwarding",
            )
        )
    return items


def mailbox_items(
    issues: FieldIssues, prefix: str, domain: str, value: Any, *, allow_url: bool
) -> list[tuple[RequestedMailbox, str]]:
    """[{username, firstName, lastName(, profilePicture)}] on `domain` -> (request, address as typed)."""
    if not isinstance(value, list):
        issues.add(prefix, "Must be an array of {username, firstName, lastName}", check.shown(value))
        return []
    found = []
    for i, item in enumerate(value):
        at = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            issues.add(at, "Must be an object with username, firstName and lastName", check.shown(item))
            continue
        username = item.get("username")
        if not_given(username):
            issues.add(f"{at}.username", check.REQUIRED, check.shown(username))
            continue
        if normalize_local_part(username) is None:
            issues.add(f"{at}.username", USERNAME_FORMAT, check.shown(username))
            continue
        picture_url = item.get("profilePicture") if allow_url else None
        address = f"{username.strip()}@{domain}"
        found.append(
            (
                RequestedMailbox(
                    address,
                    item.get("firstName"),
                    item.get("lastName"),
                    f"{at}.username",
                    f"{at}.firstName",
                    f"{at}.lastName",
                    picture_url=picture_url,
                    picture_field=f"{at}.profilePicture",
                ),
                address,
            )
        )
    return found


def mailboxes_map(
    issues: FieldIssues, value: Any, order_domains: list[RequestedDomain], max_items: int, *, allow_url: bool
) -> list[tuple[RequestedMailbox, str]]:
    """{domain: [mailbox, ...]}; every domain must be one of the order's."""
    if value is None or value is MALFORMED:
        return []
    if not isinstance(value, dict):
        issues.add("mailboxes", "Must be a JSON object of domain -> [{username, firstName, lastName}]", check.shown(value))
        return []
    ordered = {normalize_domain(d.value) for d in order_domains if isinstance(d.value, str)}
    found = []
    for key, items in value.items():
        domain = normalize_domain(key)
        if domain is None or (domain not in ordered and order_domains):
            issues.add(f"mailboxes.{key}", "Domain is not one of this order's domains", key)
            continue
        found += mailbox_items(issues, f"mailboxes.{key}", domain, items, allow_url=allow_url)
    if len(found) > max_items:
        issues.add("mailboxes", f"Must contain at most {max_items} mailboxes", f"{len(found)} items")
        return []
    return found


async def uploaded_pictures(
    issues: FieldIssues, form: FormData, addresses: list[str], budget: DecodeBudget
) -> dict[str, tuple[CheckedPicture, str]]:
    """Pictures sent as file fields named username@domain. Empty parts are no picture; a file
    field that names no mailbox of the order is an error. Decoding runs in a worker thread:
    it may wait for the decoding budget, which must not stop the event loop."""
    wanted = {a.lower(): a for a in addresses}
    pictures: dict[str, tuple[CheckedPicture, str]] = {}
    for name, value in form.multi_items():
        if "@" not in name:
            continue
        if not isinstance(value, UploadFile):
            if value.strip():
                issues.add(name, "Must be an image file (PNG or JPEG), not text", value[:64])
            continue
        data = await value.read(MAX_BYTES + 1)
        if not data or not value.filename:
            continue
        address = wanted.get(name.strip().lower())
        if address is None:
            issues.add(name, "No mailbox of this order has this address (the key is username@domain)", value.filename)
            continue
        try:
            pictures[address] = (await run_in_threadpool(check_picture, data, budget), name)
        except PictureRejected as exc:
            issues.add(name, str(exc), value.filename)
    return pictures
