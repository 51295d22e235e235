from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.events.receiver import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()
