"""Every shared example, in each language, does under the hardened profile what its metadata promises."""

import pytest

from sandbox import run
from sandbox.lab.examples import EXAMPLES, get
from sandbox.languages import LANGUAGES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.name)
def test_example_behaves_as_labelled(example, engine_ready):
    r = run(example.code, language=example.language)
    assert (r.status, r.stopped_by) == (example.expect, example.control), (r.message, r.stderr[-300:])
    if example.hint is not None:
        assert r.hint == example.hint, r.message


def test_every_language_has_examples_and_every_example_a_known_language():
    assert {e.language for e in EXAMPLES} == set(LANGUAGES)
    assert len({e.name for e in EXAMPLES}) == len(EXAMPLES)  # names are unique across languages


def test_old_positional_examples_default_to_python():
    hello = get("hello")
    assert hello.language == "python" and hello.to_dict()["language"] == "python"
    assert get("js_hello").to_dict()["language"] == "javascript"


def test_unknown_example_names_the_known_ones():
    with pytest.raises(KeyError, match="hello"):
        get("nope")
