"""Every shared example does under the hardened profile what its metadata promises."""

import pytest

from sandbox import run
from sandbox.examples import EXAMPLES, get


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_behaves_as_labelled(example):
    r = run(example.code)
    assert (r.status, r.stopped_by) == (example.expect, example.control), (r.message, r.stderr[-300:])


def test_unknown_example_names_the_known_ones():
    with pytest.raises(KeyError, match="hello"):
        get("nope")
