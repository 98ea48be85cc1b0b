"""One language registry: the run's message, the CLI and the server read each language from it."""

import dataclasses

import pytest

from sandbox import DEFAULT_LANGUAGE, LANGUAGES
from sandbox.cli import main
from sandbox.outcome import error_line


def test_every_language_has_a_title_and_an_error_reader():
    for name, language in LANGUAGES.items():
        assert language.name == name and language.title and callable(language.error_line)
    assert DEFAULT_LANGUAGE in LANGUAGES


def test_the_runs_message_reads_the_languages_own_error_reader(monkeypatch):
    stderr = "TypeError: x is not a function\n    at Object.<anonymous> ([eval]:1:1)\n\nNode.js v18.19.0\n"
    assert error_line(stderr, "javascript") == "TypeError: x is not a function"
    assert error_line(stderr, "python") == "Node.js v18.19.0"  # Python's error comes last
    monkeypatch.setitem(LANGUAGES, "python", dataclasses.replace(LANGUAGES["python"], error_line=lambda s: "read"))
    assert error_line(stderr, "python") == "read"


def test_the_cli_offers_the_registrys_languages(capsys):
    with pytest.raises(SystemExit):
        main(["run", "prog.x", "--language", "cobol"])
    offered = capsys.readouterr().err.split("choose from ")[1]
    assert all(repr(name) in offered for name in LANGUAGES)
