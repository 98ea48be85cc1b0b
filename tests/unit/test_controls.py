"""The control registry cannot be changed by a caller: every profile and `without()` read it."""

import pytest

from sandbox import PROFILES, REGISTRY, Control


@pytest.mark.parametrize("part", ["hardened", "off", "on"])
def test_a_specs_values_cannot_be_written(part):
    spec = REGISTRY[Control.RUNTIME] if part == "on" else REGISTRY[Control.PIDS]
    with pytest.raises(TypeError):
        getattr(spec, part)["pids"] = 7
    assert PROFILES["hardened"].without("pids").pids is None


def test_the_registry_itself_cannot_be_written():
    with pytest.raises(TypeError):
        REGISTRY[Control.PIDS] = REGISTRY[Control.CPU]  # type: ignore[index]
