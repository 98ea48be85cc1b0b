import pytest


@pytest.fixture(autouse=True)
def _engine(engine_ready):
    """Every test here drives the real engine: the lessons' and the widget's claims are about it."""
    return engine_ready
