"""Short example programs shared by the web page, the demo and the lessons.

Each one is bounded (a fixed number of processes, megabytes, lines), so that even with its
control removed it ends on its own and cannot harm the host. The network examples aim only at
the kit's own target container: under the hardened profile its name does not even resolve.

Most are Python; a few are JavaScript (`language="javascript"`, names starting `js_`), run with
`sandbox.run(example.code, language=example.language)` under the very same controls.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    code: str
    expect: str  # the status the hardened profile gives
    control: str | None  # the control the kernel's facts show stopping it (Result.stopped_by)
    language: str = "python"  # a key of sandbox.languages.LANGUAGES
    hint: str | None = None  # where no fact names it: the control its error text points at

    def to_dict(self) -> dict:
        return asdict(self)


PYTHON_EXAMPLES: tuple[Example, ...] = (
    Example("hello", "Hello World", 'print("Hello World")\n', "ok", None),
    Example("arithmetic", "Two plus two", "print(2 + 2)\n", "ok", None),
    Example(
        "error",
        "A program that fails on its own",
        "def divide(a, b):\n    return a / b\n\nprint(divide(1, 0))\n",
        "error",
        None,
    ),
    Example(
        "infinite_loop",
        "Infinite loop",
        "# Never ends by itself: the host-side clock kills it.\nwhile True:\n    pass\n",
        "timeout",
        "timeout",
    ),
    Example(
        "memory_hog",
        "Memory hog",
        "# Asks for 8 MiB at a time, up to 288 MiB; the memory limit is 128 MiB.\n"
        "chunks = []\nfor i in range(36):\n    chunks.append(bytearray(8 * 1024 * 1024))\n"
        "    print(f'holding {(i + 1) * 8} MiB', flush=True)\n",
        "memory",
        "memory",
    ),
    Example(
        "fork_bomb",
        "Fork bomb (bounded)",
        "# Tries to start 200 processes that all wait; the pids limit is 64.\nimport os, time\n\n"
        "born = 0\ntry:\n    while born < 200:\n        if os.fork() == 0:\n            time.sleep(3)\n"
        "            os._exit(0)\n        born += 1\nexcept OSError as error:\n"
        "    print(f'stopped after {born} processes: {error}')\n    raise\n"
        "print(f'started all {born} processes')\n",
        "error",
        "pids",
    ),
    Example(
        "network_call",
        "Network call",
        "# Tries to fetch a page from the kit's own target container.\n"
        "import urllib.request\n\n"
        "page = urllib.request.urlopen('http://target:8080/', timeout=3)\nprint(page.read().decode())\n",
        "error",
        "network",
    ),
    Example(
        "output_flood",
        "Output flood",
        "# Prints up to 10 MB; the output cap is 64 KiB.\nfor i in range(270_000):\n"
        "    print(f'line {i} of a very chatty program')\n",
        "output_limit",
        "output_cap",
    ),
    Example(
        "write_system",
        "Write to the system",
        "# Tries to change a file of the image itself.\nwith open('/etc/motd', 'w') as f:\n    f.write('owned')\n",
        "error",
        None,
        hint="read_only",
    ),
    Example(
        "who_am_i",
        "Who am I?",
        "import os, pwd\n\nprint('user:', pwd.getpwuid(os.getuid()).pw_name, 'uid:', os.getuid())\n",
        "ok",
        None,
    ),
)

# The same lessons in JavaScript (Node.js): the controls do not care which language asks.
JS_EXAMPLES: tuple[Example, ...] = (
    Example("js_hello", "Hello World", 'console.log("Hello World")\n', "ok", None, "javascript"),
    Example(
        "js_infinite_loop",
        "Infinite loop",
        "// Never ends by itself: the host-side clock kills it.\nwhile (true) {}\n",
        "timeout",
        "timeout",
        "javascript",
    ),
    Example(
        "js_memory_hog",
        "Memory hog",
        "// Asks for 8 MiB at a time, up to 256 MiB; the memory limit is 128 MiB.\n"
        "// Buffers live outside V8's heap, so it is the container's limit that stops it.\n"
        "const chunks = []\nfor (let i = 0; i < 32; i++) {\n"
        "  chunks.push(Buffer.alloc(8 * 1024 * 1024, 1))\n"
        "  console.log(`holding ${(i + 1) * 8} MiB`)\n}\n",
        "memory",
        "memory",
        "javascript",
    ),
    Example(
        "js_network_call",
        "Network call",
        "// Tries to fetch a page from the kit's own target container.\n"
        "const http = require('http')\n\n"
        "http.get('http://target:8080/', { timeout: 3000 }, response => {\n"
        "  let page = ''\n  response.setEncoding('utf8')\n"
        "  response.on('data', chunk => { page += chunk })\n"
        "  response.on('end', () => console.log(page))\n"
        "}).on('timeout', function () { this.destroy(new Error('no answer within 3 s')) })\n"
        "  .on('error', error => { throw error })\n",
        "error",
        "network",
        "javascript",
    ),
)

EXAMPLES: tuple[Example, ...] = PYTHON_EXAMPLES + JS_EXAMPLES

BY_NAME: dict[str, Example] = {e.name: e for e in EXAMPLES}


def get(name: str) -> Example:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"No example named {name!r}. Known: {', '.join(BY_NAME)}") from None
