"""The languages the sandbox runs, and the image each one runs in.

Python is the kit's subject; JavaScript (Node.js) is the seed's "Node.js support" idea: the
same controls, profiles and reports, a second image. Adding a language means one entry here
(its name, how a person writes it, its image and command, and how to find the line of its
stderr that says what went wrong) and one image in images.py (with its Dockerfile in docker/).
The server's /api/config, the page, the CLI and the run's message all read this registry.

    >>> from sandbox import run
    >>> run("console.log(2 + 2)", language="javascript").stdout  # doctest: +ENGINE
    '4\\n'
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass

from .text import clip

MAX_ERROR_LINE = 300  # characters of an error line a message quotes


def last_error_line(stderr: str) -> str:
    """The last non-blank stderr line: for a Python traceback, `ExceptionType: detail`."""
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if line:
            return clip(line, MAX_ERROR_LINE)
    return ""


# Node.js prints the error first, then its stack ("    at ..."), the error's properties and
# "Node.js v18..."; Python prints the stack first and the error last.
_JS_ERROR = re.compile(r"^(Uncaught )?([A-Za-z_$][\w$.]*)?(Error|Exception)\b")


def node_error_line(stderr: str) -> str:
    """Node's error line: the first line naming an error, else the last line that is not its stack."""
    for line in stderr.splitlines():
        if _JS_ERROR.match(line.strip()):
            return clip(line.strip(), MAX_ERROR_LINE)
    lines = [line for line in stderr.splitlines() if not line.strip().startswith(("at ", "Node.js v"))]
    return last_error_line("\n".join(lines))


@dataclass(frozen=True)
class Language:
    name: str
    title: str  # how a person writes it: the page and reports show this
    image: str  # the tag runs use
    command: tuple[str, ...]  # argv before the code, which travels as one more argument
    extension: str  # of source files, for `python -m sandbox run FILE`
    error_line: Callable[[str], str] = last_error_line  # stderr -> the line that says what went wrong
    bootstrap: str = ""  # run in the code's place by a warm box's pre-started program (below)


# A warm box's supervisor starts the language's command with its bootstrap in the code's place
# before the run arrives; the bootstrap reads the code from fd 3 (the supervisor writes it there
# at delivery), closes it, and runs it as the command would have: Python's in __main__'s
# globals, under the file name "<string>", with sys.orig_argv as a cold run's and none of the
# bootstrap's own names left; an uncaught error's traceback starts at the program's frame.
# Node's in the global scope as "[eval]", with process.execArgv as a cold run's. What still
# tells a warm run from a cold one: the command lines in /proc (the program's and process 1's)
# show the bootstrap, not the code; Python's module frame has the bootstrap's below it
# (sys._getframe().f_back), which an uncaught KeyboardInterrupt's traceback shows too; Node's
# stack has the bootstrap's frames below the program's.
PYTHON_BOOTSTRAP = (
    'with open(3, "rb") as f:\n'
    '    __import__("sys").orig_argv[-1] = c = f.read().decode()\n'
    "del f\n"
    "try:\n"
    '    exec(compile(globals().pop("c"), "<string>", "exec"))\n'
    "except (SystemExit, KeyboardInterrupt):\n"
    "    raise\n"
    "except BaseException:\n"
    '    (lambda t, v, b: __import__("sys").excepthook(t, v.with_traceback(b.tb_next), b.tb_next))(\n'
    '        *__import__("sys").exc_info()\n'
    "    )\n"
    "    raise SystemExit(1) from None\n"
)
NODE_BOOTSTRAP = (
    'require("vm").runInThisContext(((fs) => { const c = fs.readFileSync(3, "utf8"); fs.closeSync(3); '
    'process.execArgv[process.execArgv.length - 1] = c; return c; })(require("fs")), { filename: "[eval]" })'
)

DEFAULT_LANGUAGE = "python"  # the kit's subject: runs name no language, and the server needs its image

LANGUAGES: dict[str, Language] = {
    "python": Language(
        name="python",
        title="Python",
        image=os.environ.get("SANDBOX_IMAGE", "safe-python:latest"),
        # -E -s: ignore PYTHON* variables and the user's site-packages. Not -I, which also
        # implies -P and keeps the working directory off sys.path: the run's files are put there,
        # and `import helpers` must find helpers.py. -u: unbuffered, so output printed before a
        # kill still reaches the report.
        command=("python3", "-E", "-s", "-u", "-c"),
        extension=".py",
        bootstrap=PYTHON_BOOTSTRAP,
    ),
    "javascript": Language(
        name="javascript",
        title="JavaScript",
        image=os.environ.get("SANDBOX_NODE_IMAGE", "safe-node:latest"),
        command=("node", "-e"),
        extension=".js",
        error_line=node_error_line,
        bootstrap=NODE_BOOTSTRAP,
    ),
}


def warm_program(image: str) -> tuple[str, ...]:
    """What a warm box of `image` starts before its run: its language's command and bootstrap."""
    lang = next((lang for lang in LANGUAGES.values() if lang.image == image and lang.bootstrap), None)
    return (*lang.command, lang.bootstrap) if lang else ()


def for_path(path: str) -> str:
    """The language of a source file by its extension (the default language when unsure)."""
    return next((lang.name for lang in LANGUAGES.values() if path.endswith(lang.extension)), DEFAULT_LANGUAGE)
