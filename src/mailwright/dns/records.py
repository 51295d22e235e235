"""The records a domain needs for sending: MX, exactly one SPF, DKIM, DMARC. Pure functions."""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.providers.base import MailSetup, RecordSpec

DKIM_SELECTOR = "mw1"


@dataclass(frozen=True)
class PlannedRecord:
    purpose: str  # mx | spf | dkim | dmarc | extra
    spec: RecordSpec


def spf_value(includes: tuple[str, ...]) -> str:
    return "v=spf1 " + "".join(f"include:{i} " for i in includes) + "~all"


def dmarc_value(rua: str = "", policy: str = "none") -> str:
    value = f"v=DMARC1; p={policy}"
    if rua:
        value += f"; rua=mailto:{rua}"
    return value


def sending_records(setup: MailSetup, *, own_dkim: str | None, dmarc_rua: str = "") -> list[PlannedRecord]:
    """Everything the zone must serve. `own_dkim` is our DKIM TXT value for hosts that sign
    with a key we generate; hosts that bring their own put it in `setup.dkim`."""
    records = [PlannedRecord("mx", mx) for mx in setup.mx]
    records.append(PlannedRecord("spf", RecordSpec("TXT", "@", spf_value(setup.spf_includes))))
    if setup.dkim is not None:
        records.append(PlannedRecord("dkim", setup.dkim))
    elif own_dkim is not None:
        records.append(PlannedRecord("dkim", RecordSpec("TXT", f"{DKIM_SELECTOR}._domainkey", own_dkim)))
    records.append(PlannedRecord("dmarc", RecordSpec("TXT", "_dmarc", dmarc_value(dmarc_rua))))
    records += [PlannedRecord("extra", spec) for spec in setup.extra]
    return records
