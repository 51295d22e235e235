"""Settings a customer controls: redirect URL, email forwarding, mailbox profile pictures."""

from __future__ import annotations

import base64
import io
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from PIL import Image

from mailwright.mailboxes.pictures import MIB
from tests.api.bodies import EMAIL_FORMAT, REQUIRED, assert_invalid, assert_problem, assert_violation
from tests.conftest import TLS, unique

NOT_AN_IMAGE = "Must be a valid PNG or JPEG image"


def image_bytes(kind: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, format=kind)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def shown(text: str) -> str:
    """How a long rejected avatar is echoed back: its first 64 characters."""
    return text[:64] + ("..." if len(text) > 64 else "")


def redirect(api, domain, url):
    return api.patch(f"/rest/v2/domains/{domain}/set_redirect_url", json={"domain_redirect_url": url})


def forward(api, domain, address):
    return api.patch(f"/rest/v2/domains/{domain}/set_email_forwarding", json={"email_forward_address": address})


def avatar(api, domain, value, email=None):
    return api.patch(f"/rest/v2/domains/{domain}/mailboxes/{email or f'm0@{domain}'}/profile_picture", json={"avatar": value})


def test_redirect_url_is_refused_until_the_domain_is_ready(api_with_owner, buy):
    domain = f"{buy(prefix='flaky-')}"
    response = redirect(api_with_owner, domain, "https://piedpiper.com")
    assert_violation(
        response,
        "domain_not_ready",
        "The domain is not ready yet",
        [("domain_redirect_url", "A redirect URL can be set once the domain is ready (is_ready is true)", "https://piedpiper.com")],
    )
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["domain_redirect_url"] is None


def test_redirect_url_set_and_removed(api_with_owner, buy):
    domain = buy(ready=True)
    response = redirect(api_with_owner, domain, "https://piedpiper.com/welcome")
    assert (response.status_code, response.json()) == (202, {"success": True})
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["domain_redirect_url"] == "https://piedpiper.com/welcome"
    assert redirect(api_with_owner, domain, "").status_code == 202
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["domain_redirect_url"] is None


@pytest.mark.parametrize(
    ("body", "issue", "value"),
    [
        ({}, REQUIRED, None),
        ({"domain_redirect_url": None}, REQUIRED, None),
        ({"domain_redirect_url": "ftp://piedpiper.com"}, "Valid format is https://example.com", "ftp://piedpiper.com"),
        ({"domain_redirect_url": "piedpiper"}, "Valid format is https://example.com", "piedpiper"),
        ({"domain_redirect_url": 5}, "Must be a string", "5"),
    ],
)
def test_redirect_url_validation(shop, body, issue, value):
    response = shop.api.patch(f"/rest/v2/domains/{shop.domain}/set_redirect_url", json=body)
    assert_invalid(response, ("domain_redirect_url", issue, value))


def test_email_forwarding_set_and_removed(api_with_owner, buy):
    domain = buy()
    response = forward(api_with_owner, domain, "Gilfoyle@Hooli.com")
    assert (response.status_code, response.json()) == (202, {"success": True})
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["email_forward_address"] == "Gilfoyle@hooli.com"
    assert forward(api_with_owner, domain, "").status_code == 202
    assert api_with_owner.get(f"/rest/v2/domains/{domain}").json()["email_forward_address"] is None


def test_email_forwarding_validation(shop):
    assert_invalid(forward(shop.api, shop.domain, "nope"), ("email_forward_address", EMAIL_FORMAT, "nope"))
    assert_invalid(
        shop.api.patch(f"/rest/v2/domains/{shop.domain}/set_email_forwarding", json={}), ("email_forward_address", REQUIRED, None)
    )


def test_settings_of_an_unknown_domain_are_404(api_with_owner):
    missing = f"{unique()}.com"
    assert_problem(forward(api_with_owner, missing, "a@b.com"), 404, "Not Found", "Domain not found")
    assert_problem(redirect(api_with_owner, missing, ""), 404, "Not Found", "Domain not found")
    assert_problem(avatar(api_with_owner, missing, b64(image_bytes("PNG"))), 404, "Not Found", "Domain not found")


@pytest.mark.parametrize(("kind", "content_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_profile_picture_is_stored_and_served(api_with_owner, buy, kind, content_type):
    domain = buy()
    data = image_bytes(kind)
    response = avatar(api_with_owner, domain, b64(data), email=f"m0%40{domain}")
    assert (response.status_code, response.json()) == (200, {"success": True})
    url = api_with_owner.get(f"/rest/v2/domains/{domain}/mailboxes/m0@{domain}").json()["profile_picture"]
    assert url.startswith(f"{api_with_owner.base_url}/media/profile-pictures/".replace("//media", "/media"))
    served = httpx.get(url)  # no key needed: the URL itself is unguessable
    assert (served.status_code, served.headers["content-type"], served.content) == (200, content_type, data)


def test_unknown_picture_is_404(anon):
    assert_problem(anon.get(f"/media/profile-pictures/{unique()}"), 404, "Not Found", "Picture not found")


def test_profile_picture_of_an_unknown_mailbox_is_404(shop):
    response = avatar(shop.api, shop.domain, b64(image_bytes("PNG")), email=f"ghost@{shop.domain}")
    assert_problem(response, 404, "Not Found", "Mailbox not found")


def gif() -> str:
    return b64(image_bytes("GIF"))


def too_large() -> str:
    return b64(image_bytes("PNG") + b"\0" * (5 * 1024 * 1024))


def too_wide() -> str:
    buffer = io.BytesIO()
    Image.new("1", (4097, 1)).save(buffer, format="PNG")
    return b64(buffer.getvalue())


def truncated() -> str:
    return b64(image_bytes("PNG")[:60])


@pytest.mark.parametrize(
    ("make_value", "issue"),
    [
        (lambda: "this is not base64!", "Must be a base64-encoded PNG or JPEG image"),
        (lambda: b64(b"just some text, not an image"), NOT_AN_IMAGE),
        (truncated, NOT_AN_IMAGE),
        (gif, "Image must be a PNG or JPEG"),
        (too_large, "Image must be at most 5 MB"),
        (too_wide, "Image must be at most 4096x4096 pixels"),
    ],
    ids=["not-base64", "not-an-image", "truncated", "gif", "over-5-mb", "over-4096-px"],
)
def test_profile_picture_refusals_name_avatar(shop, make_value, issue):
    value = make_value()
    assert_invalid(avatar(shop.api, shop.domain, value), ("avatar", issue, shown(value)))


@pytest.mark.parametrize(("value", "issue", "shown_value"), [(None, REQUIRED, None), ("", REQUIRED, ""), (12, "Must be a base64-encoded PNG or JPEG image", "12")])
def test_profile_picture_missing_or_not_a_string(shop, value, issue, shown_value):
    assert_invalid(avatar(shop.api, shop.domain, value), ("avatar", issue, shown_value))


def solid_png(side: int, mode: str = "RGBA") -> bytes:
    """A valid picture that is small on the wire (a few KB) but large decoded (side² × 4 bytes)."""
    buffer = io.BytesIO()
    Image.new(mode, (side, side), (10, 20, 30, 40)[: len(mode)]).save(buffer, format="PNG")
    return buffer.getvalue()


def test_concurrent_large_pictures_stay_within_the_decoding_budget(shop, make_server):
    """Eight 2048x2048 pictures (16 MiB each decoded) at once through a server whose budget is
    32 MiB: every one is accepted, yet never more than two are decoded at the same time."""
    live = make_server(picture_decode_budget_mb=32)
    value = b64(solid_png(2048))
    assert len(value) < 200_000

    def send(_: int) -> int:
        with httpx.Client(base_url=live.base_url, headers=shop.account.headers, timeout=60, verify=TLS) as client:
            return avatar(client, shop.domain, value).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(send, range(8))) == [200] * 8
    budget = live.runtime.decode_budget
    assert budget.capacity == 32 * MIB
    assert 16 * MIB <= budget.high_water <= budget.capacity


def test_a_picture_larger_decoded_than_the_whole_budget_is_refused(shop, make_server):
    live = make_server(picture_decode_budget_mb=1)
    value = b64(solid_png(1024, "RGB"))
    with httpx.Client(base_url=live.base_url, headers=shop.account.headers, timeout=30, verify=TLS) as client:
        response = avatar(client, shop.domain, value)
    issue = "Image is too large to decode here: a 1024x1024 RGB image takes 4 MB decoded, more than the 1 MB this server decodes at once"
    assert_invalid(response, ("avatar", issue, shown(value)))
    assert live.runtime.decode_budget.high_water == 0
