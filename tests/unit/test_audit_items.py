"""The audit's list of items (no engine: the judging on real containers is in tests/engine)."""

from sandbox import REGISTRY
from sandbox.lab.audit import ITEMS


def test_every_item_names_a_known_control_and_a_unique_id():
    ids = [item_id for item_id, *_ in ITEMS]
    assert len(ids) == len(set(ids))
    assert {control for _, control, _, _ in ITEMS} - {None} <= set(REGISTRY)  # hardened's controls and the extra layers
