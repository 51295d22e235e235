import pytest

# Assertion helpers shared by these tests: show full diffs when they fail.
pytest.register_assert_rewrite("tests.api.bodies")
