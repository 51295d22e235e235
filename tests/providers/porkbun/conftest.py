from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailwright.providers.porkbun import PorkbunApi, PorkbunDnsHost, PorkbunRegistrar
from tests.providers.porkbun.emulator import PorkbunEmulator


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[PorkbunEmulator]:
    emulator = PorkbunEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_server: PorkbunEmulator) -> PorkbunEmulator:
    """The module's emulator, as a fresh account for each test."""
    emulator_server.reset()
    return emulator_server


def api_for(emulator: PorkbunEmulator, *, secret: str | None = None, timeout: float = 5.0) -> PorkbunApi:
    return PorkbunApi(emulator.api_key, secret or emulator.secret_api_key, emulator.base_url, timeout=timeout)


@pytest.fixture
def registrar(emulator: PorkbunEmulator) -> Iterator[PorkbunRegistrar]:
    adapter = PorkbunRegistrar(api_for(emulator))
    yield adapter
    adapter.close()


@pytest.fixture
def dns_host(emulator: PorkbunEmulator) -> Iterator[PorkbunDnsHost]:
    adapter = PorkbunDnsHost(api_for(emulator))
    yield adapter
    adapter.close()
