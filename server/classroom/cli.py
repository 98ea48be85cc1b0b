"""`python -m server class new|list|revoke|expire`: make a class and hand out its join codes.

    python -m server class new physics-1 --students 30       # student-01 ... student-30
    python -m server class new physics-1 --csv names.csv     # one name per line (first column)
    python -m server class list
    python -m server class revoke physics-1 student-07       # that code stops working at once
    python -m server class expire physics-1                  # every code of the class, now

`new` prints each code once (they are stored only as hashes: a lost code is revoked and the
class made again, or the student given another class's code). The folder is
`--data DIR`, else $SANDBOX_DATA, else ~/.local/share/safe-python.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

from .store import MAX_STUDENTS, ClassError, Store, data_dir


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m server class", description="Classes and their join codes.")
    p.add_argument("--data", type=Path, help="data folder (default $SANDBOX_DATA or ~/.local/share/safe-python)")
    sub = p.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new", help="make a class and print its join codes")
    new.add_argument("name")
    who = new.add_mutually_exclusive_group(required=True)
    who.add_argument("--students", type=int, metavar="N", help=f"N students (1 to {MAX_STUDENTS}), numbered")
    who.add_argument("--csv", type=Path, metavar="FILE", help="student names, the first column of each row")
    new.add_argument("--hours", type=float, help="the codes stop working after this many hours (default: never)")
    sub.add_parser("list", help="the classes, their students and revoked codes")
    revoke = sub.add_parser("revoke", help="stop one student's code (or 'teacher') working")
    revoke.add_argument("name")
    revoke.add_argument("who")
    expire = sub.add_parser("expire", help="stop every code of a class working, now")
    expire.add_argument("name")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        store = Store(args.data or data_dir())
        return _COMMANDS[args.command](store, args)
    except (ClassError, OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _new(store: Store, args) -> int:
    if args.csv is not None:
        with args.csv.open(encoding="utf-8-sig", newline="") as f:  # a spreadsheet may start with a BOM
            names = [row[0].strip() for row in csv.reader(f) if row and row[0].strip()]
    else:
        if not 1 <= args.students <= MAX_STUDENTS:
            raise ClassError(f"--students must be from 1 to {MAX_STUDENTS}, not {args.students}")
        names = [f"student-{i:0{len(str(args.students))}d}" for i in range(1, args.students + 1)]
    expires = None if args.hours is None else time.time() + args.hours * 3600
    codes = store.create(args.name, names, expires)
    print(f"# class {args.name}: {len(names)} students; these codes are shown once, keep them safe")
    for who, code in codes.items():
        print(f"{who}\t{code}")
    print(f"# start the server with: python -m server --host 0.0.0.0 --class {args.name}", file=sys.stderr)
    print("# a student's run with curl:", file=sys.stderr)
    print(
        "#   curl -H 'Authorization: Bearer CODE' -H 'Content-Type: application/json' "
        """-d '{"code": "print(2 + 2)"}' http://SERVER:8000/run""",
        file=sys.stderr,
    )
    return 0


def _list(store: Store, args) -> int:
    for c in store.classes():
        state = "live"
        if c["expires"] is not None:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c["expires"]))
            state = f"expired {when}" if c["expires"] <= time.time() else f"expires {when}"
        print(f"{c['name']}\t{c['students']} students\t{c['revoked']} revoked\t{state}")
    return 0


def _revoke(store: Store, args) -> int:
    store.revoke(args.name, args.who)
    print(f"revoked the code of {args.who} in {args.name}")
    return 0


def _expire(store: Store, args) -> int:
    store.expire(args.name)
    print(f"every code of {args.name} has stopped working")
    return 0


_COMMANDS = {"new": _new, "list": _list, "revoke": _revoke, "expire": _expire}
