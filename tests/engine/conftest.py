import pytest


@pytest.fixture(autouse=True)
def _engine(engine_ready):
    """Every test in this folder runs against the real engine."""
    return engine_ready
