"""The layout holds: each room imports only what ARCHITECTURE.md allows, and nothing private.

Rooms: the core (sandbox/*.py), the lab (sandbox/lab/), the terminal face (sandbox/cli/), the
server (server/), and the faces' users: the lessons (notebooks/), the benchmarks, the tests.
Every import anywhere in a file counts, inside functions too: a lazy import is still a
dependency. One is named and allowed: `sandbox.grade`, the grader's face on the core's package,
imported by the package's PEP 562 `__getattr__` on first use (and named for mypy under
`if TYPE_CHECKING`). It runs only after both the core and the grader have loaded, so it is no
cycle at import time; `test_importing_the_core_does_not_load_the_grader` holds it to that.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

import sandbox
import sandbox.fleet as sandbox_fleet
import sandbox.grading as sandbox_grading
import sandbox.lab

ROOT = Path(__file__).resolve().parents[2]


def room_of(module: str) -> str | None:
    """The room a dotted module name belongs to (None: not the kit's)."""
    if module == "sandbox.lab" or module.startswith("sandbox.lab."):
        return "lab"
    if module == "sandbox.grading" or module.startswith("sandbox.grading."):
        return "grading"
    if module == "sandbox.fleet" or module.startswith("sandbox.fleet."):
        return "fleet"
    if module in ("sandbox.cli", "sandbox.__main__") or module.startswith("sandbox.cli."):
        return "cli"
    if module == "sandbox" or module.startswith("sandbox."):
        return "core"
    if module == "server" or module.startswith("server."):
        return "server"
    return None


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool) -> list[tuple[str, str | None, int]]:
    """(module imported, name taken from it or None, line) for every import in `source`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found += [(base, alias.name, node.lineno) for alias in node.names]
    return found


def kit_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


def sources() -> list[tuple[str, str, str, bool]]:
    """(where, room, source, is_package) for every file of the kit, lesson code cells included."""
    out = []
    for path in kit_files("sandbox", "server"):
        name = module_name(path)
        out.append((str(path.relative_to(ROOT)), room_of(name), path.read_text(), path.name == "__init__.py"))
    for path in kit_files("tests", "benchmarks", "notebooks/solutions"):
        room = "tests" if path.parts[len(ROOT.parts)] == "tests" else "faces"
        out.append((str(path.relative_to(ROOT)), room, path.read_text(), False))
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        code = "\n".join("".join(c["source"]) for c in cells)
        out.append((str(path.relative_to(ROOT)), "faces", code, False))
    return out


def edges():
    for where, room, source, is_package in sources():
        module = module_name(ROOT / where) if where.endswith(".py") else where
        for target, name, line in imports(source, module, is_package):
            full = (
                f"{target}.{name}"
                if name and room_of(f"{target}.{name}") and _is_module(f"{target}.{name}")
                else target
            )
            yield where, room, full, target, name, line


def _is_module(dotted: str) -> bool:
    path = ROOT / Path(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def lazy_face_lines() -> set[int]:
    """The lines of sandbox/__init__.py's allowed imports of the grader: inside `__getattr__`
    or under `if TYPE_CHECKING:` (see the module's docstring)."""
    tree = ast.parse((ROOT / "sandbox" / "__init__.py").read_text())
    lines: set[int] = set()
    for node in tree.body:
        lazy = isinstance(node, ast.FunctionDef) and node.name == "__getattr__"
        lazy = lazy or (isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING")
        if lazy:
            lines.update(n.lineno for n in ast.walk(node) if isinstance(n, ast.ImportFrom))
    return lines


def lazy_face(where: str, full: str, line: int) -> bool:
    return where == "sandbox/__init__.py" and room_of(full) == "grading" and line in lazy_face_lines()


def test_the_core_never_imports_the_lab_the_cli_or_the_server():
    bad = [
        f"{where}:{line} imports {full}"
        for where, room, full, *_, line in edges()
        if room == "core"
        and room_of(full) in ("lab", "cli", "server", "grading", "fleet")
        and not lazy_face(where, full, line)
    ]
    assert bad == []


def test_importing_the_core_does_not_load_the_grader():
    """`sandbox.grade` is there, and is the grader's; yet `import sandbox` alone loads no grading module."""
    import subprocess
    import sys

    probe = "import sys, sandbox; print(sorted(m for m in sys.modules if m.startswith('sandbox.grading')))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"
    assert sandbox.grade is sandbox_grading.grade
    assert len(lazy_face_lines()) == 2  # the one in __getattr__ and the one for mypy


def test_the_lab_never_imports_the_cli_or_the_server():
    bad = [
        f"{where}:{line} imports {full}"
        for where, room, full, *_, line in edges()
        if room == "lab" and room_of(full) in ("cli", "server")
    ]
    assert bad == []


def test_the_grader_uses_only_the_cores_face_and_never_the_lab_the_cli_or_the_server():
    bad = [
        f"{where}:{line} imports {full}"
        for where, room, full, target, name, line in edges()
        if room == "grading"
        and (room_of(full) in ("lab", "cli", "server") or (room_of(target) == "core" and not _public(target, name)))
    ]
    assert bad == []


def test_the_server_uses_only_the_public_faces():
    bad = [
        f"{where}:{line} imports {full}"
        for where, room, full, target, name, line in edges()
        if room == "server" and room_of(full) in ("core", "lab", "cli", "fleet") and not _public(target, name)
    ]
    assert bad == []


def test_the_queue_uses_only_the_cores_face_and_never_the_lab_the_cli_the_grader_or_the_server():
    bad = [
        f"{where}:{line} imports {full}"
        for where, room, full, target, name, line in edges()
        if room == "fleet"
        and (
            room_of(full) in ("lab", "cli", "server", "grading")
            or (room_of(target) == "core" and not _public(target, name))
        )
    ]
    assert bad == []


def test_celery_and_redis_load_only_with_a_broker():
    """`make run` needs no Redis: the server without --broker, the core and the queue's face load neither
    Celery nor redis-py (nor, for the server, the queue at all)."""
    import subprocess
    import sys

    probe = (
        "import sys, sandbox, sandbox.fleet, server.serve, sandbox.cli; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('celery', 'redis', 'kombu')))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "[]"
    probe = "import sys, server.serve, server.app; print('sandbox.fleet' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "False"


def test_lessons_solutions_and_benchmarks_use_only_the_public_faces():
    bad = [
        f"{where}:{line} imports {target}.{name}"
        for where, room, full, target, name, line in edges()
        if room == "faces" and room_of(target) and not _public(target, name)
    ]
    assert bad == []


def test_no_module_imports_a_private_name_from_another_room():
    bad = []
    for where, room, _full, target, name, line in edges():
        if room_of(target) and room_of(target) != room:
            dotted = f"{target}.{name}" if name else target
            if any(part.startswith("_") and part != "__version__" for part in dotted.split(".")):
                bad.append(f"{where}:{line} imports {dotted}")
    assert bad == []


def test_no_import_cycle_among_the_kits_modules():
    graph: dict[str, set[str]] = {}
    for where, room, full, _target, _name, line in edges():
        if (
            room in ("core", "lab", "cli", "server", "grading", "fleet")
            and room_of(full)
            and not lazy_face(where, full, line)
        ):
            graph.setdefault(module_name(ROOT / where), set()).add(_existing(full))
    cycle = _find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def _public(target: str, name: str | None) -> bool:
    """`from sandbox import X` (X in sandbox.__all__), the same for sandbox.lab, or a public
    name of a lab module that sandbox.lab exports."""
    if target == "sandbox":
        return name in sandbox.__all__
    if target == "sandbox.lab":
        return name in sandbox.lab.__all__
    if target == "sandbox.grading":
        return name in sandbox_grading.__all__
    if target == "sandbox.fleet":
        return name in sandbox_fleet.__all__
    if target == "server":
        import server

        return name in server.__all__
    parts = target.split(".")
    if parts[:2] == ["sandbox", "lab"] and len(parts) == 3 and parts[2] in sandbox.lab.__all__:
        return name is not None and not name.startswith("_")
    return False


def _existing(dotted: str) -> str:
    """The dotted name of the module a (possibly attribute-qualified) import resolves to."""
    parts = dotted.split(".")
    while parts and not _is_module(".".join(parts)):
        parts.pop()
    return ".".join(parts)


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt == node or not nxt:
                continue
            # A package's __init__ may import its own modules, and they may import their siblings.
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if state.get(node) is None:
            found = visit(node)
            if found:
                return found
    return None


@pytest.mark.parametrize("rule", ["core", "lab"])
def test_the_checks_can_fail(rule, tmp_path):
    """The scanner sees a forbidden import where there is one (so the tests above can fail)."""
    source = "from sandbox.lab import catalog\n" if rule == "core" else "from sandbox.cli import main\n"
    found = imports(source, "sandbox.runner" if rule == "core" else "sandbox.lab.probe", False)
    assert [room_of(target) for target, _, _ in found] == ["lab" if rule == "core" else "cli"]
    assert _find_cycle({"a": {"b"}, "b": {"a"}}) == ["a", "b", "a"]
    assert not _public("sandbox.runner", "_Run") and not _public("sandbox", "engine")


# The core is what a reviewer of the boundary must read; it stays small enough to read in an
# afternoon. Counted as lines of code: docstrings, comments and blank lines are not counted
# (they are what makes it readable), multi-line strings of code (the target's program) are.
CORE_BUDGET = 4000


def code_lines(source: str) -> int:
    import io
    import tokenize

    tree = ast.parse(source)
    documentation = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            documentation.update(range(body[0].lineno, body[0].end_lineno + 1))
    skipped = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped:
            lines.update(range(token.start[0], token.end[0] + 1))
    return len(lines - documentation)


def test_code_lines_count_code_and_nothing_else():
    source = '"""Doc\n\nstring."""\n\n# a comment\nX = 1  # why\n\n\ndef f():\n    """Doc."""\n    return """a\nb"""\n'
    assert code_lines(source) == 4  # X = 1, def f, and the two lines of the returned string


def test_the_core_stays_within_its_budget():
    files = sorted(ROOT.glob("sandbox/*.py")) + sorted(ROOT.glob("sandbox/inside/*.py"))
    counted = {path.relative_to(ROOT).as_posix(): code_lines(path.read_text(encoding="utf-8")) for path in files}
    total = sum(counted.values())
    biggest = ", ".join(f"{name} {n}" for name, n in sorted(counted.items(), key=lambda kv: -kv[1])[:5])
    assert total <= CORE_BUDGET, f"the core has {total} lines of code (budget {CORE_BUDGET}); biggest: {biggest}"
