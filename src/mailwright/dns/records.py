"""The records a domain needs for sending: MX, exactly one SPF, DKIM, DMARC and an optional
tracking CNAME. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.providers.base import MailSetup, RecordSpec

DKIM_SELECTOR = "mw1"
# The records a mailbox host asks for as proof that the domain is ours (MailboxHost.add_domain).
VERIFICATION = "verification"
# A TXT record is a list of character-strings of at most 255 bytes each (RFC 1035 3.3.14);
# receivers join them. A 2048-bit DKIM key alone is about 400 characters.
TXT_STRING_MAX = 255


@dataclass(frozen=True)
class PlannedRecord:
    purpose: str  # mx | spf | dkim | dmarc | tracking | extra | verification
    spec: RecordSpec


def spf_value(includes: tuple[str, ...]) -> str:
    return "v=spf1 " + "".join(f"include:{i} " for i in includes) + "~all"


def dmarc_value(rua: str = "", policy: str = "none") -> str:
    """`rua`: comma-separated addresses, with or without their mailto: scheme."""
    value = f"v=DMARC1; p={policy}"
    uris = [a if a.lower().startswith("mailto:") else f"mailto:{a}" for a in (x.strip() for x in rua.split(",")) if a]
    if uris:
        value += "; rua=" + ",".join(uris)
    return value


def absolute(host: str) -> str:
    """A host name as an absolute DNS name (trailing dot), so zones never append their origin."""
    return host if host.endswith(".") else host + "."


def txt_strings(value: str) -> list[bytes]:
    """Split a TXT value into character-strings of at most 255 bytes."""
    data = value.encode()
    return [data[i : i + TXT_STRING_MAX] for i in range(0, len(data), TXT_STRING_MAX)] or [b""]


def sending_records(
    setup: MailSetup,
    *,
    own_dkim: str | None,
    dmarc_rua: str = "",
    tracking_label: str = "",
    tracking_target: str = "",
) -> list[PlannedRecord]:
    """Everything the zone must serve. `own_dkim` is our DKIM TXT value for hosts that sign
    with a key we generate; hosts that bring their own put it in `setup.dkim`. A tracking
    CNAME (`tracking_label` -> `tracking_target`) is added when both are set."""
    records = [PlannedRecord("mx", mx) for mx in setup.mx]
    records.append(PlannedRecord("spf", RecordSpec("TXT", "@", spf_value(setup.spf_includes))))
    if setup.dkim is not None:
        records.append(PlannedRecord("dkim", setup.dkim))
    elif own_dkim is not None:
        records.append(PlannedRecord("dkim", RecordSpec("TXT", f"{DKIM_SELECTOR}._domainkey", own_dkim)))
    records.append(PlannedRecord("dmarc", RecordSpec("TXT", "_dmarc", dmarc_value(dmarc_rua))))
    if tracking_label and tracking_target:
        records.append(PlannedRecord("tracking", RecordSpec("CNAME", tracking_label, absolute(tracking_target))))
    records += [PlannedRecord("extra", spec) for spec in setup.extra]
    return records
