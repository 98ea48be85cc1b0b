import pytest

from sandbox import MAX_CODE_CHARS, InvalidCode
from sandbox.output import CappedOutput
from sandbox.runner import check_code, program_argv


def test_cap_keeps_exactly_cap_bytes_and_flags_truncation():
    out = CappedOutput(cap=10)
    out.consume(iter([(1, b"12345"), (2, b"678"), (1, b"90abc"), (1, b"never")]))
    assert out.text("stdout") == "1234590" and out.text("stderr") == "678"
    assert out.truncated and out.full.is_set() and out.done.is_set()


def test_under_the_cap_nothing_is_lost():
    out = CappedOutput(cap=100)
    out.consume(iter([(1, b"a" * 50), (2, b"b" * 50)]))
    assert not out.truncated and len(out.text("stdout")) == 50


def test_a_million_small_frames_stay_bounded():
    out = CappedOutput(cap=1024)
    out.consume((1, b"x") for _ in range(1_000_000))
    assert len(out.text("stdout")) == 1024 and out.truncated


def test_non_utf8_output_is_decoded_without_crashing():
    out = CappedOutput(cap=100)
    out.consume(iter([(1, b"\xff\xfe caf\xc3")]))
    assert "\ufffd" in out.text("stdout")


def test_a_broken_stream_is_recorded_not_raised():
    def frames():
        yield (1, b"ok")
        raise ConnectionResetError("engine went away")

    out = CappedOutput(cap=100)
    out.consume(frames())
    assert out.done.is_set() and isinstance(out.error, ConnectionResetError) and out.text("stdout") == "ok"


def test_a_failing_callback_is_switched_off_and_reading_goes_on():
    def broken(stream, text):
        raise ValueError("bug in the caller")

    out = CappedOutput(cap=100, on_text=broken)
    out.consume(iter([(1, b"one"), (1, b"two")]))
    assert out.text("stdout") == "onetwo" and isinstance(out.callback_error, ValueError) and out.error is None


def test_callback_sees_text_as_it_arrives():
    seen = []
    CappedOutput(cap=100, on_text=lambda s, t: seen.append((s, t))).consume(iter([(1, b"hi"), (2, b"err")]))
    assert seen == [("stdout", "hi"), ("stderr", "err")]


@pytest.mark.parametrize(
    "code, words",
    [
        (b"print(1)", "not bytes"),
        (None, "not NoneType"),
        (42, "not int"),
        ("", "empty"),
        ("   \n\t", "empty"),
        ("x" * (MAX_CODE_CHARS + 1), "5001 characters"),
        ("print(1)\x00", "NUL"),
        ("print('\ud800')", "not valid Unicode"),
    ],
)
def test_bad_code_is_refused_with_a_clear_reason(code, words):
    with pytest.raises(InvalidCode) as info:
        check_code(code)
    assert words in str(info.value)


def test_exactly_the_limit_is_accepted():
    check_code("#" * MAX_CODE_CHARS)


def test_unicode_code_is_fine():
    assert program_argv("print('héllo ✓ 你好')")[-1] == "print('héllo ✓ 你好')"


def test_code_travels_as_one_argument_never_a_file():
    cmd = program_argv("print(1)")
    assert cmd[0] == "python3" and cmd[-2:] == ["-c", "print(1)"]


def test_python_ignores_its_variables_and_user_site_but_imports_from_the_working_directory():
    """-E -s is -I without -P: the run's files (helpers.py) are in the working directory."""
    assert program_argv("print(1)")[1:-2] == ["-E", "-s", "-u"]


@pytest.mark.parametrize("language", ["", "  ", None, "ruby"])
def test_bad_language_is_refused(language):
    with pytest.raises(InvalidCode):
        program_argv("print(1)", language)


def test_unreachable_engine_gives_a_clear_error_before_any_container(monkeypatch, tmp_path):
    from sandbox import EngineUnavailable, engine, run

    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    engine.forget_clients()
    try:
        with pytest.raises(EngineUnavailable) as info:
            run("print(1)")
        assert "no-engine.sock" in str(info.value) and "Start Docker" in str(info.value)
    finally:
        monkeypatch.undo()
        engine.forget_clients()


MARKER = b"0123456789abcdef0123456789abcdef "


@pytest.mark.parametrize("cut", [0, 1, 10, len(MARKER) - 1, len(MARKER)])
def test_the_report_is_found_after_the_secret_even_cut_across_frames(cut):
    """The supervisor's line is never output, however the engine splits the frames."""
    stream = b"hello\nworld" + MARKER + b'{"v": 1, "exit_code": 0}\n'
    at = len(b"hello\nworld") + cut
    out = CappedOutput(cap=100, marker=MARKER)
    out.consume(iter([(1, stream[:at]), (1, stream[at:])]))
    assert out.text("stdout") == "hello\nworld"
    assert out.report == b'{"v": 1, "exit_code": 0}\n'


def test_the_report_is_read_past_the_output_cap():
    out = CappedOutput(cap=4, marker=MARKER)
    out.consume(iter([(1, b"x" * 1000), (1, MARKER + b'{"v": 1}\n')]))
    assert out.text("stdout") == "xxxx" and out.truncated and out.report == b'{"v": 1}\n'


def test_a_line_that_looks_like_a_report_without_the_secret_is_output():
    out = CappedOutput(cap=100, marker=MARKER)
    out.consume(iter([(1, b'deadbeef {"v": 1, "exit_code": 0}\n')]))
    assert out.report is None and out.text("stdout") == 'deadbeef {"v": 1, "exit_code": 0}\n'


@pytest.mark.parametrize(
    "stdin, words",
    [
        ("a\x00b", "NUL"),
        ("\ud800", "not valid Unicode"),
        (42, "not int"),
        ("x" * (64 * 1024 + 1), "the limit is 65536"),
    ],
)
def test_bad_stdin_is_refused_with_a_clear_reason(stdin, words):
    from sandbox.runner import check_stdin

    with pytest.raises(InvalidCode) as info:
        check_stdin(stdin)
    assert words in str(info.value)


def test_stdin_text_travels_as_utf8_and_none_is_empty():
    from sandbox.runner import check_stdin

    assert check_stdin("Ada ✓\n") == "Ada ✓\n".encode() and check_stdin(None) == b""
    assert check_stdin(b"\x00raw bytes\xff") == b"\x00raw bytes\xff"  # bytes are the program's own business


@pytest.mark.parametrize("cut", [0, 1, 10, len(MARKER) - 1, len(MARKER)])
def test_the_secret_ends_stderr_even_cut_across_frames_and_is_never_output(cut):
    stream = b"Traceback\nError" + MARKER + b"\n"
    at = len(b"Traceback\nError") + cut
    out = CappedOutput(cap=100, marker=MARKER)
    out.consume(iter([(2, stream[:at]), (2, stream[at:]), (1, MARKER + b'{"v": 1}\n')]))
    assert out.text("stderr") == "Traceback\nError" and out.finished.is_set()


@pytest.mark.parametrize(
    "frames",
    [
        [(1, MARKER + b'{"v": 1}\n')],  # stderr has not ended
        [(2, MARKER + b"\n"), (1, MARKER + b'{"v": 1')],  # the report's line is not whole
        [(2, MARKER + b"\n"), (1, b'{"v": 1}\n')],  # no report at all
        [(2, b"0123456789abcdef " + b"\n"), (1, MARKER + b'{"v": 1}\n')],  # stderr's end forged without the secret
    ],
)
def test_the_output_is_finished_only_with_the_whole_report_and_the_end_of_stderr(frames):
    out = CappedOutput(cap=100, marker=MARKER)
    out.consume(iter(frames))
    assert not out.finished.is_set() and out.done.is_set()


def test_the_end_of_stderr_and_the_report_are_found_past_the_cap_in_any_order():
    out = CappedOutput(cap=4, marker=MARKER)
    out.consume(iter([(2, b"e" * 500), (1, MARKER + b'{"v": 1,'), (2, b"e" * 500 + MARKER + b"\n"), (1, b"}\n")]))
    assert out.finished.is_set() and out.text("stderr") == "eeee" and out.report == b'{"v": 1,}\n'


@pytest.mark.parametrize("stream_id", [1, 2])
@pytest.mark.parametrize("cut", [1, 10, len(MARKER) - 1])
def test_the_callback_is_never_told_a_piece_of_the_secret(stream_id, cut):
    """A frame that ends inside the secret keeps those bytes from the callback until the next
    frame shows whether they are the program's; it is told exactly what the Result keeps."""
    stream = b"hello 0123" + MARKER + (b'{"v": 1}\n' if stream_id == 1 else b"\n")
    at = len(b"hello 0123") + cut
    told: list[str] = []
    out = CappedOutput(cap=100, on_text=lambda s, t: told.append(t), marker=MARKER)
    out.consume(iter([(stream_id, stream[:at]), (stream_id, stream[at:])]))
    name = "stdout" if stream_id == 1 else "stderr"
    assert "".join(told) == out.text(name) == "hello 0123"


def test_bytes_held_back_as_a_possible_secret_are_told_once_they_prove_the_programs():
    told: list[tuple[str, str]] = []
    out = CappedOutput(cap=100, on_text=lambda s, t: told.append((s, t)), marker=MARKER)
    out.consume(iter([(1, b"a 0123"), (2, b"b 01"), (1, b"4 next 01"), (2, b"x")]))
    assert told == [("stdout", "a "), ("stderr", "b "), ("stdout", "01234 next "), ("stderr", "01x"), ("stdout", "01")]
    assert (out.text("stdout"), out.text("stderr")) == ("a 01234 next 01", "b 01x")
