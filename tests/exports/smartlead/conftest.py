from __future__ import annotations

from collections.abc import Iterator

import pytest

from mailwright.exports.smartlead import SmartleadPlatform
from mailwright.net.outbound import OutboundPolicy
from tests.exports.smartlead.emulator import SmartleadEmulator

LOOPBACK = OutboundPolicy(allow_private=True)  # the emulator listens on 127.0.0.1


@pytest.fixture(scope="module")
def emulator_server() -> Iterator[SmartleadEmulator]:
    emulator = SmartleadEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator(emulator_server: SmartleadEmulator) -> SmartleadEmulator:
    """The module's emulator, as an empty workspace for each test."""
    emulator_server.reset()
    return emulator_server


def platform_for(emulator: SmartleadEmulator, *, api_key: str | None = None, base_url: str | None = None) -> SmartleadPlatform:
    return SmartleadPlatform(api_key if api_key is not None else emulator.api_key, base_url or emulator.url, LOOPBACK)


@pytest.fixture
def smartlead(emulator: SmartleadEmulator) -> SmartleadPlatform:
    return platform_for(emulator)
