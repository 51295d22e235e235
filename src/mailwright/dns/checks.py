"""Small pure checks of the sending records' syntax (SPF, DKIM, DMARC) and of a whole zone.

Each check returns a list of problems in words a person can act on; empty means fine."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterable

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.zone
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailwright.validation import ascii_digits

# RFC 7208 4.6.4: at most 10 mechanisms and modifiers that cause DNS lookups.
SPF_MAX_LOOKUPS = 10
SPF_LOOKUP_TERMS = ("include", "a", "mx", "ptr", "exists", "redirect")
DKIM_MIN_BITS = 1024
DMARC_POLICIES = ("none", "quarantine", "reject")

_SPF_MECHANISM = re.compile(r"^([+\-~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?::(.*?))?(/\d+(?://\d+)?)?$", re.I)
_SPF_MODIFIER = re.compile(r"^([a-z][a-z0-9_.\-]*)=(.*)$", re.I)
_DOMAIN_SPEC = re.compile(r"^[A-Za-z0-9_%{}.\-+=/!]+$")  # loose: SPF macros are allowed
_MAILTO = re.compile(r"^mailto:[^@\s,;!]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}(?:![0-9]+[kmgt]?)?$", re.I)


def spf_lookup_count(value: str) -> int:
    """How many DNS lookups evaluating this record costs at its own level."""
    count = 0
    for term in value.split()[1:]:
        name = re.split(r"[:=/]", term.lstrip("+-~?"), maxsplit=1)[0].lower()
        count += name in SPF_LOOKUP_TERMS
    return count


def spf_problems(value: str) -> list[str]:
    terms = value.split()
    if not terms or terms[0].lower() != "v=spf1":
        return ["An SPF record must start with v=spf1"]
    problems = []
    modifiers: list[str] = []
    for term in terms[1:]:
        if mechanism := _SPF_MECHANISM.match(term):
            problems += _spf_mechanism_problems(term, mechanism.group(2).lower(), mechanism.group(3), mechanism.group(4))
        elif modifier := _SPF_MODIFIER.match(term):
            name, target = modifier.group(1).lower(), modifier.group(2)
            if name in ("redirect", "exp"):
                if name in modifiers:
                    problems.append(f"The {name}= modifier may appear only once")
                if not _DOMAIN_SPEC.match(target):
                    problems.append(f"{term!r} needs a domain")
            modifiers.append(name)
        else:
            problems.append(f"{term!r} is not an SPF mechanism or modifier")
    lookups = spf_lookup_count(value)
    if lookups > SPF_MAX_LOOKUPS:
        problems.append(f"The record needs {lookups} DNS lookups; SPF allows at most {SPF_MAX_LOOKUPS}")
    return problems


def _spf_mechanism_problems(term: str, name: str, argument: str | None, cidr: str | None) -> list[str]:
    if name == "all":
        return [f"{term!r}: all takes no argument"] if argument is not None or cidr else []
    if name in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network((argument or "") + (cidr or ""), strict=False)
        except ValueError:
            return [f"{term!r} needs a valid {name} address"]
        return [] if network.version == int(name[-1]) else [f"{term!r} needs a valid {name} address"]
    if name in ("include", "exists") and not argument:
        return [f"{term!r} needs a domain"]
    if argument is not None and not _DOMAIN_SPEC.match(argument):
        return [f"{term!r} has an invalid domain"]
    return []


def tags(value: str) -> list[tuple[str, str | None]]:
    """A tag=value list (DKIM, DMARC): the pairs in order, whitespace removed."""
    pairs = []
    for part in value.split(";"):
        if not part.strip():
            continue
        name, sep, tag_value = part.partition("=")
        pairs.append((name.strip(), "".join(tag_value.split()) if sep else None))
    return pairs


def dkim_problems(value: str) -> list[str]:
    pairs = tags(value)
    problems = _tag_list_problems(pairs)
    found = dict(pairs)
    if "v" in found and (pairs[0][0] != "v" or found["v"] != "DKIM1"):
        problems.append("v=DKIM1 must come first when present")
    if found.get("k", "rsa") != "rsa":
        problems.append(f"k={found['k']} is not supported; use k=rsa")
    key = found.get("p")
    if not key:
        problems.append("p= must hold the public key (empty means revoked)")
        return problems
    try:
        der = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        return problems + ["p= is not valid base64"]
    public_key = _load_public_key(der)
    if not isinstance(public_key, rsa.RSAPublicKey):
        problems.append("p= is not an RSA public key")
    elif public_key.key_size < DKIM_MIN_BITS:
        problems.append(f"The key has {public_key.key_size} bits; at least {DKIM_MIN_BITS} are needed")
    return problems


def _load_public_key(der: bytes) -> object | None:
    try:
        return serialization.load_der_public_key(der)
    except ValueError:
        pass
    try:  # some publish the bare PKCS#1 RSAPublicKey
        return serialization.load_der_public_key(_pkcs1_as_spki(der))
    except ValueError:
        return None


def _pkcs1_as_spki(der: bytes) -> bytes:
    rsa_oid = bytes.fromhex("300d06092a864886f70d0101010500")
    bit_string = b"\x03" + _der_length(len(der) + 1) + b"\x00" + der
    body = rsa_oid + bit_string
    return b"\x30" + _der_length(len(body)) + body


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def dmarc_problems(value: str) -> list[str]:
    pairs = tags(value)
    if not pairs or pairs[0] != ("v", "DMARC1"):
        return ["A DMARC record must start with v=DMARC1"]
    problems = _tag_list_problems(pairs)
    found = dict(pairs)
    if "p" not in found:
        problems.append("p= (none, quarantine or reject) is required")
    elif len(pairs) < 2 or pairs[1][0] != "p":
        problems.append("p= must directly follow v=DMARC1")
    for name in ("p", "sp"):
        if name in found and found[name] not in DMARC_POLICIES:
            problems.append(f"{name}= must be one of {', '.join(DMARC_POLICIES)}")
    for name in ("rua", "ruf"):
        for uri in (found.get(name) or "").split(",") if name in found else []:
            if not _MAILTO.match(uri):
                problems.append(f"{name}= must list mailto: addresses; {uri!r} is not one")
    pct = found.get("pct")
    if "pct" in found and not (pct and ascii_digits(pct) and int(pct) <= 100):
        problems.append("pct= must be a whole number from 0 to 100")
    for name in ("adkim", "aspf"):
        if name in found and found[name] not in ("r", "s"):
            problems.append(f"{name}= must be r or s")
    return problems


def _tag_list_problems(pairs: list[tuple[str, str | None]]) -> list[str]:
    problems = [f"{name!r} has no value" for name, v in pairs if v is None]
    names = [name for name, _ in pairs]
    problems += [f"The tag {name}= appears more than once" for name in sorted(set(names)) if names.count(name) > 1]
    return problems


def is_spf(text: str) -> bool:
    return text.lower() == "v=spf1" or text.lower().startswith("v=spf1 ")


def txt_problems(name: str, text: str) -> list[str]:
    """The check that fits a TXT record by where it lives and how it starts."""
    labels = name.lower().split(".")
    if labels[0] == "_dmarc":
        return dmarc_problems(text)
    if "_domainkey" in labels[1:2]:
        return dkim_problems(text)
    if is_spf(text):
        return spf_problems(text)
    return []


def cname_conflicts(records: Iterable[tuple[str, str]]) -> list[str]:
    """(name, type) pairs: a CNAME must be alone at its name (dnspython's zones would silently
    drop one side, so this is checked before the zone is built)."""
    types: dict[str, set[str]] = {}
    for name, rdtype in records:
        types.setdefault(name.lower(), set()).add(rdtype.upper())
    return [f"{name}: a CNAME cannot share its name with other records" for name, found in types.items() if "CNAME" in found and len(found) > 1]


def zone_problems(zone: dns.zone.Zone) -> list[str]:
    """Whole-zone rules: at most one SPF record per name, and every SPF/DKIM/DMARC record
    well-formed."""
    problems = []
    for name, node in sorted(zone.nodes.items()):
        shown = "@" if name == dns.name.empty else name.to_text()
        txt = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.TXT)
        texts = [b"".join(rdata.strings).decode(errors="replace") for rdata in txt or ()]
        if sum(is_spf(t) for t in texts) > 1:
            problems.append(f"{shown}: more than one SPF record (receivers then treat SPF as broken)")
        for text in texts:
            problems += [f"{shown} TXT: {p}" for p in txt_problems(shown, text)]
    return problems
