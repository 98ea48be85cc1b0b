"""Classes and their join codes, in SQLite (the standard library's `sqlite3`).

The file is `classroom.sqlite3` in the data folder: `$SANDBOX_DATA`, else
`$XDG_DATA_HOME/safe-python`, else `~/.local/share/safe-python` (created with mode 0700, the
file 0600). A code is 20 random characters from a 31-letter alphabet (99 bits, from
`secrets`); only its SHA-256 is stored. A code is looked up by its hash and the stored hash is
compared with `hmac.compare_digest`; a code is printed once, by `class new`, and never logged.
(A slow password hash would protect a guessable secret; a 99-bit random code is not one.)
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Letters and digits that cannot be mistaken for each other (no i, l, o, 0, 1): 31 of them.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_CHARS = 20
DB_NAME = "classroom.sqlite3"
MAX_STUDENTS = 1000
MAX_NAME_CHARS = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    name TEXT PRIMARY KEY,
    created REAL NOT NULL,
    expires REAL
);
CREATE TABLE IF NOT EXISTS codes (
    hash TEXT PRIMARY KEY,
    class TEXT NOT NULL REFERENCES classes(name) ON DELETE CASCADE,
    who TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('student', 'teacher')),
    revoked REAL,
    UNIQUE (class, who)
);
"""


class ClassError(Exception):
    """A class command that cannot be done (no such class, a name taken...): one line for the user."""


@dataclass(frozen=True)
class Member:
    """Who a valid code belongs to."""

    klass: str
    who: str
    role: str  # "student" or "teacher"

    @property
    def key(self) -> str:
        return f"{self.klass}/{self.who}"


def data_dir(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    if env.get("SANDBOX_DATA"):
        return Path(env["SANDBOX_DATA"])
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]) / "safe-python"
    return Path.home() / ".local" / "share" / "safe-python"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return "-".join(raw[i : i + 5] for i in range(0, CODE_CHARS, 5))


def digest(code: str) -> str:
    """The stored form of a code: dashes and case do not matter to the person typing it."""
    cleaned = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(cleaned.encode("utf-8", "replace")).hexdigest()


class Store:
    def __init__(self, folder: Path | None = None):
        self.folder = folder or data_dir()
        self.path = self.folder / DB_NAME
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fresh = not self.path.exists()
        with self._db() as db:
            db.executescript(_SCHEMA)
        if fresh:
            os.chmod(self.path, 0o600)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        finally:
            db.close()

    def create(self, name: str, students: list[str], expires: float | None = None) -> dict[str, str]:
        """Make a class; return {who: code} with the teacher's code under "teacher"."""
        name = _name(name, "class name")
        names = [_name(s, "student name") for s in students]
        if not names or len(names) > MAX_STUDENTS:
            raise ClassError(f"a class has from 1 to {MAX_STUDENTS} students, not {len(names)}")
        if len(set(names)) != len(names) or "teacher" in names:
            raise ClassError("student names must be different from each other and from 'teacher'")
        codes = {who: new_code() for who in [*names, "teacher"]}
        with self._db() as db:
            if db.execute("SELECT 1 FROM classes WHERE name = ?", (name,)).fetchone():
                raise ClassError(f"there is already a class named {name!r}; pick another name")
            db.execute("INSERT INTO classes VALUES (?, ?, ?)", (name, time.time(), expires))
            db.executemany(
                "INSERT INTO codes VALUES (?, ?, ?, ?, NULL)",
                [(digest(c), name, who, "teacher" if who == "teacher" else "student") for who, c in codes.items()],
            )
        return codes

    def exists(self, name: str) -> bool:
        with self._db() as db:
            return db.execute("SELECT 1 FROM classes WHERE name = ?", (name,)).fetchone() is not None

    def classes(self) -> list[dict]:
        with self._db() as db:
            rows = db.execute(
                "SELECT c.name, c.created, c.expires, "
                "SUM(k.role = 'student'), SUM(k.role = 'student' AND k.revoked IS NOT NULL) "
                "FROM classes c LEFT JOIN codes k ON k.class = c.name GROUP BY c.name ORDER BY c.created"
            ).fetchall()
        return [
            {"name": n, "created": c, "expires": e, "students": s or 0, "revoked": r or 0} for n, c, e, s, r in rows
        ]

    def students(self, name: str) -> list[str]:
        with self._db() as db:
            rows = db.execute("SELECT who FROM codes WHERE class = ? AND role = 'student' ORDER BY rowid", (name,))
            return [r[0] for r in rows]

    def revoke(self, name: str, who: str) -> None:
        with self._db() as db:
            changed = db.execute(
                "UPDATE codes SET revoked = ? WHERE class = ? AND who = ? AND revoked IS NULL", (time.time(), name, who)
            ).rowcount
        if not changed:
            raise ClassError(f"no live code for {who!r} in class {name!r}")

    def expire(self, name: str, at: float | None = None) -> None:
        with self._db() as db:
            changed = db.execute(
                "UPDATE classes SET expires = ? WHERE name = ?", (time.time() if at is None else at, name)
            ).rowcount
        if not changed:
            raise ClassError(f"no class named {name!r}")

    def check(self, code: str, klass: str) -> tuple[Member | None, str]:
        """(the member, "ok") for a live code of class `klass`, else (None, why it is refused)."""
        if not code or len(code) > 100:
            return None, "unknown_code"
        wanted = digest(code)
        with self._db() as db:
            row = db.execute(
                "SELECT k.hash, k.class, k.who, k.role, k.revoked, c.expires FROM codes k "
                "JOIN classes c ON c.name = k.class WHERE k.hash = ?",
                (wanted,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row[0], wanted) or row[1] != klass:
            return None, "unknown_code"
        if row[4] is not None:
            return None, "revoked_code"
        if row[5] is not None and row[5] <= time.time():
            return None, "expired_class"
        return Member(row[1], row[2], row[3]), "ok"


def _name(text: str, what: str) -> str:
    text = text.strip()
    if not text or len(text) > MAX_NAME_CHARS or not text.isprintable() or "/" in text:
        raise ClassError(f"a {what} is 1 to {MAX_NAME_CHARS} printable characters without '/', not {text!r}")
    return text
