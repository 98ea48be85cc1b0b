"""Every call into C through ctypes declares the function's `argtypes` and `restype` first.

Without them ctypes guesses: it passes a Python int as a 32-bit C `int` and reads the result as
one. For a function that takes or returns a `long`, a pointer or a `size_t` (`syscall()`,
`ptrace`, `process_vm_readv`) that works by luck of the ABI, not by contract: the upper half of
an argument, the unused registers of a variadic call and the upper half of the result are
whatever happened to be there. With the types declared, ctypes converts every argument, or
refuses it loudly.

The scan runs nothing. It parses every program of the kit that could call C: each `.py` file
under attacks/, sandbox/, notebooks/solutions/ and tests/, each code cell of notebooks/*.ipynb
and, recursively, each string constant in them that mentions ctypes (the programs run in the
sandbox are held in strings). In each program, a call to a function of a ctypes library object
(`ctypes.CDLL(...)`, `ctypes.cdll.LoadLibrary(...)`, `ctypes.pythonapi`, ...), whether written
`lib.f(...)`, `getattr(lib, "f")(...)`, `lib["f"](...)` or through an alias `f = lib.f`, fails
the test unless that function's `.argtypes` and `.restype` are both assigned earlier in the same
program. ctypes' own helpers (`ctypes.cast`, `addressof`, `byref`, ...) and CFUNCTYPE
prototypes carry their types and are not library calls.

This file is left out of the repository scan: its samples below are wrong on purpose.
"""

from __future__ import annotations

import ast
import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("attacks", "sandbox", "notebooks/solutions", "tests")
LIBRARY_CLASSES = {"CDLL", "PyDLL", "WinDLL", "OleDLL"}  # ctypes.CDLL(path) is a library
LOADERS = {"cdll", "pydll", "windll", "oledll"}  # ctypes.cdll.LoadLibrary(path), ctypes.cdll.libc
LIBRARY_OBJECTS = {"pythonapi"}  # ctypes.pythonapi is a library already
DECLARATIONS = ("argtypes", "restype")
# Text that makes an unparseable string look like a program calling C: it must not go unchecked.
PROGRAM_MARKERS = ("CDLL", "cdll", "PyDLL", "pythonapi", "LoadLibrary")


@dataclass
class Scan:
    findings: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # source -> library calls checked

    def finding(self, where: str, text: str) -> None:
        self.findings.append(f"{where}: {text}")


def _position(node: ast.AST) -> tuple[int, int]:
    return node.lineno, node.col_offset


class _Program:
    """One program: which names hold libraries, which functions are declared where, the calls."""

    def __init__(self, tree: ast.AST):
        self.tree = tree
        self.modules = {"ctypes"}  # names bound to the ctypes module
        self.imported: dict[str, str] = {}  # name -> what it is in ctypes (from ctypes import CDLL as C)
        self.libraries: set[str] = set()  # expressions (as source) bound to a library
        self.loaders: set[str] = set()  # expressions bound to a loader (ctypes.cdll)
        self.aliases: dict[str, str] = {}  # expression -> the function key it names
        self._imports()
        self._bindings()

    # What an expression is.
    def is_module(self, node) -> bool:
        return isinstance(node, ast.Name) and node.id in self.modules

    def is_loader(self, node) -> bool:
        if isinstance(node, ast.Attribute) and self.is_module(node.value) and node.attr in LOADERS:
            return True
        if isinstance(node, ast.Name) and self.imported.get(node.id) in LOADERS:
            return True
        return ast.unparse(node) in self.loaders

    def is_library(self, node) -> bool:
        if ast.unparse(node) in self.libraries:
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and self.is_module(func.value) and func.attr in LIBRARY_CLASSES:
                return True
            if isinstance(func, ast.Name) and self.imported.get(func.id) in LIBRARY_CLASSES:
                return True
            return isinstance(func, ast.Attribute) and func.attr == "LoadLibrary" and self.is_loader(func.value)
        if isinstance(node, ast.Attribute):
            if self.is_module(node.value) and node.attr in LIBRARY_OBJECTS:
                return True
            return self.is_loader(node.value) and not node.attr.startswith("_") and node.attr != "LoadLibrary"
        if isinstance(node, ast.Name):
            return self.imported.get(node.id) in LIBRARY_OBJECTS
        return isinstance(node, ast.Subscript) and self.is_loader(node.value)

    def function_key(self, node) -> str | None:
        """'lib.f' when `node` names a C function of a library, else None."""
        if isinstance(node, ast.Attribute) and not node.attr.startswith("_") and self.is_library(node.value):
            return f"{ast.unparse(node.value)}.{node.attr}"
        if isinstance(node, ast.Subscript) and self.is_library(node.value):
            name = node.slice
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return f"{ast.unparse(node.value)}.{name.value}"
            return ast.unparse(node)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and self.is_library(node.args[0])
        ):
            name = node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                return f"{ast.unparse(node.args[0])}.{name.value}"
            return ast.unparse(node)  # getattr(lib, variable)(...): no declaration can match
        return self.aliases.get(ast.unparse(node))

    # The program's imports and assignments.
    def _imports(self) -> None:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name == "ctypes":
                        self.modules.add(alias.asname or "ctypes")
            elif isinstance(node, ast.ImportFrom) and node.module == "ctypes":
                for alias in node.names:
                    self.imported[alias.asname or alias.name] = alias.name

    def _assignments(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    yield from self._pairs(target, node.value, node)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                yield node.target, node.value, node

    def _pairs(self, target, value, statement):
        if isinstance(target, (ast.Tuple, ast.List)):
            values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [None] * len(target.elts)
            for t, v in zip(target.elts, values, strict=False):  # `a, *b = ...` unpacks unevenly
                yield from self._pairs(t, v, statement)
        else:
            yield target, value, statement

    def _bindings(self) -> None:
        changed = True
        while changed:  # to a fixed point: lib = ctypes.CDLL(...); other = lib
            changed = False
            for target, value, _ in self._assignments():
                if value is None:
                    continue
                name = ast.unparse(target)
                if self.is_loader(value) and name not in self.loaders:
                    self.loaders.add(name)
                    changed = True
                elif self.is_library(value) and name not in self.libraries:
                    self.libraries.add(name)
                    changed = True
                else:
                    key = self.function_key(value)
                    if key is not None and self.aliases.get(name) != key:
                        self.aliases[name] = key
                        changed = True

    def declarations(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(function key, 'argtypes' | 'restype') -> the earliest position it is assigned at."""
        found: dict[tuple[str, str], tuple[int, int]] = {}
        for target, _, statement in self._assignments():
            if isinstance(target, ast.Attribute) and target.attr in DECLARATIONS:
                key = self.function_key(target.value)
                if key is not None:
                    where = _position(statement)
                    found[key, target.attr] = min(found.get((key, target.attr), where), where)
        return found

    def calls(self):
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                key = self.function_key(node.func)
                if key is not None:
                    yield node, key


def _strings(tree: ast.AST):
    """(line, text) of every string in `tree` that mentions ctypes; an f-string as one text, with
    a placeholder name for each interpolated value."""
    parts_of_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts_of_fstrings.update(id(v) for v in node.values)
            text = "".join(v.value if isinstance(v, ast.Constant) else "_interpolated_" for v in node.values)
            if "ctypes" in text:
                yield node.lineno, text
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and "ctypes" in node.value
            and id(node) not in parts_of_fstrings
        ):
            yield node.lineno, node.value


def scan_source(source: str, where: str, scan: Scan, must_parse: bool = True) -> None:
    """Check one program, then every program held in its strings."""
    line_word = "line" if must_parse else "its line"
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        try:
            tree = ast.parse(textwrap.dedent(source))
        except SyntaxError:
            if must_parse or any(marker in source for marker in PROGRAM_MARKERS):
                scan.finding(
                    where, f"cannot be parsed, so its ctypes calls cannot be checked ({error.msg}, line {error.lineno})"
                )
            return
    program = _Program(tree)
    declared = program.declarations()
    for call, key in program.calls():
        scan.checked[where] = scan.checked.get(where, 0) + 1
        missing = [
            kind for kind in DECLARATIONS if (key, kind) not in declared or declared[key, kind] >= _position(call)
        ]
        if missing:
            scan.finding(
                where,
                f"{line_word} {call.lineno}: {ast.unparse(call)[:100]} is called without "
                f"{' and '.join(f'{key}.{kind}' for kind in missing)} assigned before it",
            )
    for line, text in _strings(tree):
        scan_source(text, f"{where}, the program in the string at line {line}", scan, must_parse=False)


def _without_magics(source: str) -> str:
    """A notebook cell with IPython's %magic and !shell lines made into `pass`."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def sources(root: Path):
    """(name, source) of every program file and notebook code cell the scan covers."""
    me = Path(__file__).resolve()
    for folder in FOLDERS:
        for path in sorted((root / folder).rglob("*.py")):
            if path.resolve() != me.resolve() and "__pycache__" not in path.parts:
                yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(notebook["cells"]):
            if cell["cell_type"] == "code":
                source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
                yield f"{path.relative_to(root).as_posix()} cell {index}", _without_magics(source)


def scan_tree(root: Path) -> Scan:
    scan = Scan()
    for name, source in sources(root):
        scan_source(source, name, scan)
    return scan


def findings_in(source: str) -> list[str]:
    scan = Scan()
    scan_source(textwrap.dedent(source), "sample", scan)
    return scan.findings


# The repository.


def test_every_ctypes_call_in_the_kit_declares_argtypes_and_restype_first():
    scan = scan_tree(ROOT)
    assert not scan.findings, (
        "ctypes calls without declared types (declare `lib.f.argtypes` and "
        "`lib.f.restype` before the first call):\n  " + "\n  ".join(scan.findings)
    )


def test_the_scan_reaches_the_programs_that_call_c():
    # So that a scan that silently stopped looking (a string it no longer parses, a folder
    # renamed) cannot pass by finding nothing.
    checked = scan_tree(ROOT).checked
    reached = {where.split(",")[0].split(" cell ")[0] for where in checked}
    assert {
        "attacks/io_uring.py",
        "attacks/kernel_interfaces.py",
        "attacks/ptrace_child.py",
        "attacks/personality.py",
        "attacks/userns_unshare.py",
        "attacks/cap_sys_admin_mount.py",
        "sandbox/lab/probe.py",
        "notebooks/solutions/09_seccomp.py",
        "notebooks/09_seccomp.ipynb",
        "tests/attacks/test_seccomp_evidence.py",
    } <= reached, sorted(reached)
    assert any("the program in the string" in where for where in checked if where.startswith("sandbox/lab/probe.py"))


# The scanner itself, on samples (wrong on purpose where a finding is expected).


def test_an_undeclared_call_is_found_with_what_it_lacks():
    (found,) = findings_in("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        libc.syscall(39)
    """)
    assert "libc.syscall.argtypes" in found and "restype" not in found


def test_declarations_must_come_before_the_call():
    assert findings_in("""
        import ctypes
        libc = ctypes.CDLL(None)
        libc.getpid()
        libc.getpid.argtypes = []
        libc.getpid.restype = ctypes.c_int
    """)


def test_a_fully_declared_call_and_ctypes_own_helpers_pass():
    assert (
        findings_in("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.argtypes = [ctypes.c_long] * 7
        libc.syscall.restype = ctypes.c_long
        buf = ctypes.create_string_buffer(8)
        libc.syscall(39, ctypes.addressof(buf), 0, 0, 0, 0, 0)
        ctypes.memmove(buf, b"x", 1)
        pointer = ctypes.cast(buf, ctypes.c_void_p)
        ctypes.CFUNCTYPE(ctypes.c_int)(pointer.value)
    """)
        == []
    )


def test_every_way_of_reaching_a_library_function_is_checked():
    samples = {
        "getattr": "import ctypes\nlibc = ctypes.CDLL(None)\ngetattr(libc, 'ptrace')(0, 0, None, None)\n",
        "getattr, variable": "import ctypes\nlibc = ctypes.CDLL(None)\nname = 'getpid'\n"
        "libc.getpid.argtypes = []\nlibc.getpid.restype = ctypes.c_int\ngetattr(libc, name)()\n",
        "subscript": "import ctypes\nlibc = ctypes.CDLL(None)\nlibc['getpid']()\n",
        "alias": "import ctypes\nlibc = ctypes.CDLL(None)\nf = libc.syscall\nf(39)\n",
        "temporary": "import ctypes\nctypes.CDLL(None).getpid()\n",
        "from import": "from ctypes import CDLL\nCDLL('libc.so.6').getpid()\n",
        "module alias": "import ctypes as c\nlib = c.CDLL(None)\nlib.getpid()\n",
        "loader": "import ctypes\nlibc = ctypes.cdll.LoadLibrary('libc.so.6')\nlibc.getpid()\n",
        "loader attribute": "import ctypes\nctypes.cdll.libc.getpid()\n",
        "pythonapi": "import ctypes\nctypes.pythonapi.Py_IsInitialized()\n",
        "copied library": "import ctypes\nlibc = ctypes.CDLL(None)\nsame = libc\nsame.getpid()\n",
        "attribute target": "import ctypes\nclass C:\n    def __init__(self):\n        self.lib = ctypes.CDLL(None)\n"
        "        self.lib.getpid()\n",
    }
    assert {name: bool(findings_in(code)) for name, code in samples.items()} == {name: True for name in samples}


def test_declaring_through_an_alias_or_getattr_counts():
    assert (
        findings_in("""
        import ctypes
        libc = ctypes.CDLL(None)
        getpid = libc.getpid
        getpid.argtypes = []
        getpid.restype = ctypes.c_int
        getpid()
        getattr(libc, "getppid").argtypes = []
        libc.getppid.restype = ctypes.c_int
        getattr(libc, "getppid")()
    """)
        == []
    )


def test_programs_held_in_strings_are_checked_recursively():
    inner = "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.syscall(39)\n"
    outer = f"PROGRAM = {inner!r}\nWRAPPER = {('RUN = ' + repr(inner))!r}\n"
    found = findings_in(outer)
    assert len(found) == 2 and all("the program in the string at line" in f for f in found), found
    # An f-string program: each interpolated value stands in as a name.
    found = findings_in('NR = 39\nCODE = f"import ctypes\\nlibc = ctypes.CDLL(None)\\nlibc.syscall({NR})\\n"\n')
    assert len(found) == 1 and "libc.syscall" in found[0]


def test_a_string_program_that_cannot_be_parsed_is_reported_not_skipped():
    assert findings_in('CODE = "import ctypes\\nlibc = ctypes.CDLL(None\\n"\n')
    assert findings_in('NOTE = "ctypes is the standard library\'s foreign function interface"\n') == []
