"""A program's standard input: delivered by the supervisor, bounded, and an immediate end of file
when there is none, in both languages."""

from __future__ import annotations

import pytest

from sandbox import MAX_STDIN_BYTES, PROFILES, InvalidCode, run

H = PROFILES["hardened"]


def test_input_across_lines():
    r = run("name = input('name? ')\nage = input()\nprint(f'{name} is {age}')", stdin="Ada\n36\n")
    assert (r.status, r.stdout) == ("ok", "name? Ada is 36\n") and r.usage.stdin_bytes == 7


def test_no_stdin_is_an_immediate_end_of_file_never_a_hang():
    r = run("import sys\nprint(repr(sys.stdin.read()))\ninput()")
    assert r.status == "error" and r.stdout == "''\n" and r.message == "EOFError: EOF when reading a line"
    assert r.duration_s < 5


def test_an_empty_stdin_is_the_same_as_none():
    assert run("import sys\nprint(len(sys.stdin.read()))", stdin="").stdout == "0\n"


def test_stdin_larger_than_the_program_reads():
    r = run("print(input())", stdin="first line\n" + "x" * (MAX_STDIN_BYTES - 20))
    assert (r.status, r.stdout) == ("ok", "first line\n")


def test_a_program_that_never_reads_its_stdin_still_ends():
    r = run("print('not reading')", stdin="y" * MAX_STDIN_BYTES)
    assert (r.status, r.stdout) == ("ok", "not reading\n")


def test_the_whole_stdin_arrives_byte_for_byte():
    data = "".join(chr(0x20 + i % 90) for i in range(MAX_STDIN_BYTES - 1)) + "\n"
    r = run("import sys, hashlib\nprint(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())", stdin=data)
    import hashlib

    assert r.stdout.strip() == hashlib.sha256(data.encode()).hexdigest()


def test_unicode_stdin():
    assert run("print(input()[::-1])", stdin="héllo ✓\n").stdout == "✓ olléh\n"


def test_javascript_reads_stdin_too():
    code = (
        "let all = ''\nprocess.stdin.on('data', d => all += d)\n"
        "process.stdin.on('end', () => console.log(all.trim().toUpperCase()))"
    )
    r = run(code, language="javascript", stdin="ada lovelace\n")
    assert (r.status, r.stdout) == ("ok", "ADA LOVELACE\n")


def test_too_much_stdin_is_refused_before_any_container():
    with pytest.raises(InvalidCode, match="the limit is 65536"):
        run("print(1)", stdin="x" * (MAX_STDIN_BYTES + 1))
