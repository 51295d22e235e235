"""One emulator per test module; every test starts with its faults off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailwright.providers.namecheap import NamecheapApi, NamecheapDnsHost, NamecheapRegistrar
from tests.providers.namecheap.emulator import NamecheapEmulator

# The documented limits (20 a minute) would stop a test module after 20 calls; the rate-limit
# test sets them back on an emulator of its own.
GENEROUS_LIMITS = (100_000, 100_000, 100_000)


@pytest.fixture(scope="module")
def emulator() -> Iterator[NamecheapEmulator]:
    emulator = NamecheapEmulator(rate_limits=GENEROUS_LIMITS, balance="100000.00").start()
    yield emulator
    emulator.stop()


@pytest.fixture(autouse=True)
def _faults_off(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" in request.fixturenames:
        request.getfixturevalue("emulator").reset()


def api_for(emulator: NamecheapEmulator, *, api_key: str | None = None, client_ip: str = "203.0.113.7", timeout: float = 5.0) -> NamecheapApi:
    return NamecheapApi(
        emulator.api_user, api_key or emulator.api_key, emulator.username, client_ip, emulator.url, timeout=timeout
    )


# One client per module: building an httpx client loads the CA bundle (half a second).
@pytest.fixture(scope="module")
def registrar(emulator: NamecheapEmulator) -> Iterator[NamecheapRegistrar]:
    api = api_for(emulator)
    yield NamecheapRegistrar(api)
    api.close()


@pytest.fixture(scope="module")
def dns_host(emulator: NamecheapEmulator) -> Iterator[NamecheapDnsHost]:
    host = NamecheapDnsHost(api_for(emulator), resolve=False)
    yield host
    host.close()
