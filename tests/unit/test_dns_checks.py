"""The pure DNS pieces: record building, TXT splitting, SPF/DKIM/DMARC syntax, zone rules."""

from __future__ import annotations

import base64

import dns.rdatatype
import dns.zone
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from mailwright.dns import checks
from mailwright.dns.dkim import dkim_txt_value, generate_private_key_pem
from mailwright.dns.records import dmarc_value, sending_records, spf_value, txt_strings
from mailwright.dns.zone import ZoneRejected, build_zone, checked_zone, spec_text, to_rdata, zone_text
from mailwright.providers.base import MailSetup, RecordSpec

MAILDOSO = MailSetup(
    mx=(RecordSpec("MX", "@", "mx1.maildoso.com.", priority=10), RecordSpec("MX", "@", "mx2.maildoso.com.", priority=20)),
    spf_includes=("_spf.maildoso.com",),
)
KEY = generate_private_key_pem()


def spki_b64(key: object) -> str:
    der = key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


# ------------------------------------------------------------------ records


def test_sending_records_have_exactly_one_spf_and_a_2048_bit_key() -> None:
    planned = sending_records(MAILDOSO, own_dkim=dkim_txt_value(KEY), dmarc_rua="dmarc@piedpiper.com")
    assert [(p.purpose, p.spec.type, p.spec.name) for p in planned] == [
        ("mx", "MX", "@"),
        ("mx", "MX", "@"),
        ("spf", "TXT", "@"),
        ("dkim", "TXT", "mw1._domainkey"),
        ("dmarc", "TXT", "_dmarc"),
    ]
    assert planned[2].spec.value == "v=spf1 include:_spf.maildoso.com ~all"
    assert planned[4].spec.value == "v=DMARC1; p=none; rua=mailto:dmarc@piedpiper.com"
    assert checks.dkim_problems(planned[3].spec.value) == []
    assert len(planned[3].spec.value) > 255  # hence the splitting


def test_tracking_cname_only_when_configured() -> None:
    off = sending_records(MAILDOSO, own_dkim=None, tracking_label="track", tracking_target="")
    on = sending_records(MAILDOSO, own_dkim=None, tracking_label="track", tracking_target="open.tracker.example")
    assert "tracking" not in {p.purpose for p in off}
    assert on[-1].spec == RecordSpec("CNAME", "track", "open.tracker.example.")


def test_dmarc_rua_accepts_several_addresses_with_or_without_scheme() -> None:
    assert dmarc_value("") == "v=DMARC1; p=none"
    value = dmarc_value("a@x.com, mailto:b@y.org")
    assert value == "v=DMARC1; p=none; rua=mailto:a@x.com,mailto:b@y.org"
    assert checks.dmarc_problems(value) == []


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=2000))
def test_txt_strings_are_at_most_255_bytes_and_join_back(value: str) -> None:
    strings = txt_strings(value)
    assert all(len(s) <= 255 for s in strings)
    assert b"".join(strings).decode() == value
    assert spec_text(RecordSpec("TXT", "@", value)) == value


# ------------------------------------------------------------------ SPF


@pytest.mark.parametrize(
    "value",
    [
        "v=spf1 -all",
        "v=spf1 include:_spf.google.com ~all",
        "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx:mail.example.com -all",
        "v=spf1 redirect=_spf.example.com",
        "v=spf1 exists:%{i}._spf.example.com ?all",
    ],
)
def test_valid_spf(value: str) -> None:
    assert checks.spf_problems(value) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("spf1 -all", "must start with v=spf1"),
        ("v=spf1 include: -all", "needs a domain"),
        ("v=spf1 ip4:300.1.1.1 -all", "valid ip4 address"),
        ("v=spf1 ip4:2001:db8::1 -all", "valid ip4 address"),
        ("v=spf1 all:example.com", "takes no argument"),
        ("v=spf1 foo -all", "not an SPF mechanism"),
        ("v=spf1 redirect=a.com redirect=b.com", "only once"),
    ],
)
def test_invalid_spf(value: str, problem: str) -> None:
    assert any(problem in p for p in checks.spf_problems(value)), checks.spf_problems(value)


@given(
    st.lists(st.sampled_from(["include:x.example", "a", "mx", "ptr", "exists:y.example", "ip4:192.0.2.1", "ip6:2001:db8::1", "+a", "~mx"]), max_size=15)
)
def test_spf_lookup_limit(terms: list[str]) -> None:
    value = "v=spf1 " + " ".join(terms) + " ~all"
    lookups = sum(not t.startswith("ip") for t in terms)
    assert checks.spf_lookup_count(value) == lookups
    too_many = any("DNS lookups" in p for p in checks.spf_problems(value))
    assert too_many == (lookups > 10)


def test_redirect_counts_as_a_lookup() -> None:
    value = "v=spf1 " + " ".join(f"include:i{n}.example" for n in range(10)) + " redirect=r.example"
    assert checks.spf_lookup_count(value) == 11
    assert checks.spf_problems(value) == ["The record needs 11 DNS lookups; SPF allows at most 10"]


@given(st.lists(st.text(min_size=1, max_size=8, alphabet="abc.:"), max_size=5))
def test_spf_helpers_never_crash(terms: list[str]) -> None:
    checks.spf_problems("v=spf1 " + " ".join(terms))


def test_spf_record_built_for_any_includes_is_valid() -> None:
    assert checks.spf_problems(spf_value(("_spf.google.com", "spf.protection.outlook.com"))) == []


# ------------------------------------------------------------------ DKIM


def test_dkim_accepts_our_key_and_pkcs1_keys() -> None:
    assert checks.dkim_problems(dkim_txt_value(KEY)) == []
    assert checks.dkim_problems(f"k=rsa; p={spki_b64(serialization.load_pem_private_key(KEY.encode(), None))}") == []
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pkcs1 = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert checks.dkim_problems(f"v=DKIM1; p={base64.b64encode(pkcs1).decode()}") == []


def test_dkim_problems() -> None:
    weak = _Holder(rsa.RSAPublicNumbers(65537, (1 << 511) | 0xFFFF).public_key())  # 512 bits
    ec_key = ec.generate_private_key(ec.SECP256R1())
    assert checks.dkim_problems(f"v=DKIM1; k=rsa; p={spki_b64(weak)}") == ["The key has 512 bits; at least 1024 are needed"]
    assert checks.dkim_problems(f"v=DKIM1; p={spki_b64(ec_key)}") == ["p= is not an RSA public key"]
    assert checks.dkim_problems("v=DKIM1; k=rsa; p=") == ["p= must hold the public key (empty means revoked)"]
    assert checks.dkim_problems("v=DKIM1; k=rsa; p=%%%") == ["p= is not valid base64"]
    assert "k=ed25519 is not supported; use k=rsa" in checks.dkim_problems("v=DKIM1; k=ed25519; p=AAAA")
    assert "v=DKIM1 must come first when present" in checks.dkim_problems(f"k=rsa; v=DKIM1; p={spki_b64(weak)}")
    assert "The tag p= appears more than once" in checks.dkim_problems("v=DKIM1; p=AAAA; p=AAAA")


class _Holder:
    """Something with .public_key(), like a private key, around a bare public key."""

    def __init__(self, key: object) -> None:
        self.key = key

    def public_key(self) -> object:
        return self.key


# ------------------------------------------------------------------ DMARC


@pytest.mark.parametrize(
    "value",
    ["v=DMARC1; p=none", "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:a@b.com!10m,mailto:c@d.org"],
)
def test_valid_dmarc(value: str) -> None:
    assert checks.dmarc_problems(value) == []


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("p=none; v=DMARC1", "A DMARC record must start with v=DMARC1"),
        ("v=DMARC1", "p= (none, quarantine or reject) is required"),
        ("v=DMARC1; rua=mailto:a@b.com; p=none", "p= must directly follow v=DMARC1"),
        ("v=DMARC1; p=maybe", "p= must be one of none, quarantine, reject"),
        ("v=DMARC1; p=none; rua=a@b.com", "rua= must list mailto: addresses; 'a@b.com' is not one"),
        ("v=DMARC1; p=none; pct=101", "pct= must be a whole number from 0 to 100"),
        ("v=DMARC1; p=none; pct=x", "pct= must be a whole number from 0 to 100"),
        ("v=DMARC1; p=none; pct=١٠", "pct= must be a whole number from 0 to 100"),
        ("v=DMARC1; p=none; adkim=x", "adkim= must be r or s"),
    ],
)
def test_invalid_dmarc(value: str, problem: str) -> None:
    assert problem in checks.dmarc_problems(value)


@settings(max_examples=200)
@given(st.text(max_size=80))
def test_tag_checks_never_crash(value: str) -> None:
    checks.dmarc_problems(value)
    checks.dkim_problems(value)


# ------------------------------------------------------------------ zones


def test_zone_text_is_standard_and_reparses() -> None:
    planned = sending_records(MAILDOSO, own_dkim=dkim_txt_value(KEY), tracking_label="track", tracking_target="t.example.net")
    zone = checked_zone("piedpiper.com", [p.spec for p in planned], ["ns1.example.net", "ns2.example.net"])
    text = zone_text(zone)
    # Every name absolute, as dig shows them.
    assert text.startswith("$ORIGIN piedpiper.com.\npiedpiper.com. 3600 IN SOA ns1.example.net. hostmaster.piedpiper.com. 1 ")
    assert "piedpiper.com. 3600 IN MX 10 mx1.maildoso.com.\npiedpiper.com. 3600 IN MX 20 mx2.maildoso.com." in text
    assert "track.piedpiper.com. 3600 IN CNAME t.example.net." in text
    again = dns.zone.from_text(text, origin="piedpiper.com.", relativize=True)
    assert zone_text(again) == text  # the text is the zone, nothing lost (long TXT included)
    dkim = again.get_rdataset("mw1._domainkey", dns.rdatatype.TXT)
    assert [len(s) for s in dkim[0].strings] == [255, len(dkim_txt_value(KEY)) - 255]


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (RecordSpec("TXT", "@", "v=spf1 -all"), "@: more than one SPF record"),
        (RecordSpec("MX", "track", "mx.example.com.", priority=5), "track: a CNAME cannot share its name with other records"),
        (RecordSpec("TXT", "_dmarc", "v=DMARC1; p=never"), "_dmarc TXT: p= must be one of none, quarantine, reject"),
        (RecordSpec("TXT", "s2._domainkey", "v=DKIM1; p="), "s2._domainkey TXT: p= must hold the public key"),
    ],
)
def test_zone_rules_reject_broken_zones(extra: RecordSpec, problem: str) -> None:
    planned = sending_records(MAILDOSO, own_dkim=None, tracking_label="track", tracking_target="t.example.net")
    with pytest.raises(ZoneRejected) as rejected:
        checked_zone("piedpiper.com", [p.spec for p in planned] + [extra], ["ns1.example.net"])
    assert any(p.startswith(problem) for p in rejected.value.problems), rejected.value.problems


def test_other_txt_records_beside_spf_are_fine() -> None:
    zone = build_zone("x.com", [RecordSpec("TXT", "@", "v=spf1 -all"), RecordSpec("TXT", "@", "google-site-verification=abc")], [])
    assert checks.zone_problems(zone) == []
    assert to_rdata(RecordSpec("MX", "@", "mx.x.com", priority=5)).to_text() == "5 mx.x.com."


# ------------------------------------------------------------------ settings


def test_dns_settings_are_checked_at_start() -> None:
    from pydantic import ValidationError

    from mailwright.config import Settings

    fine = Settings(dmarc_rua="a@b.com, mailto:c@d.org", tracking_cname_label="track", tracking_cname_target="open.tracker.example.")
    assert fine.dmarc_rua == "a@b.com, mailto:c@d.org"
    for bad in ({"dmarc_rua": "not an address"}, {"tracking_cname_target": "bad host"}, {"tracking_cname_label": "-x"}):
        with pytest.raises(ValidationError, match=next(iter(bad))):
            Settings(**bad)
