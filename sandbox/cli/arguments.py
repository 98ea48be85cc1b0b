"""The arguments every command that runs code shares, and the shape of a report command."""

from __future__ import annotations

import argparse
import json

from sandbox import PROFILES, REGISTRY, Limits


def add_limit_options(parser: argparse.ArgumentParser) -> None:
    """--profile / --without / a few values: the same on every command that runs code."""
    parser.add_argument(
        "--profile", choices=sorted(PROFILES), default="hardened", help="the starting profile (default: hardened)"
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="CONTROL",
        choices=list(REGISTRY),
        help="remove one control (repeatable): "
        + "; ".join(f"{control} ({spec.summary})" for control, spec in REGISTRY.items()),
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="wall-clock limit in seconds")
    parser.add_argument("--memory", type=int, metavar="MIB", help="memory limit in MiB")


def add_report_command(subparsers, name: str, help: str, make, render, ok=lambda report: True) -> None:
    """A command that builds a report from --profile/--without, prints it (or --json), exits 0 if ok."""

    def handler(args: argparse.Namespace) -> int:
        report = make(limits_from(args))
        if args.json:
            print(json.dumps(report.to_dict(), indent=2))
        else:
            render(report)
        return 0 if ok(report) else 1

    p = subparsers.add_parser(name, help=help)
    add_limit_options(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=handler)


def limits_from(args: argparse.Namespace) -> Limits:
    limits = PROFILES[args.profile]
    if args.without:
        limits = limits.without(*args.without)
    changes = {}
    if getattr(args, "timeout", None) is not None:
        changes["timeout_s"] = args.timeout
    if getattr(args, "memory", None) is not None:
        changes["memory_mib"] = args.memory
    return limits.replace(**changes) if changes else limits
