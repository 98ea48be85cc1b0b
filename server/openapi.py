"""The HTTP contract, as an OpenAPI 3.1 document served at /openapi.json.

Every answer that is not a success is the one error shape, `{"error", "reason"}` (server/jsonerr.py);
the statuses each endpoint can answer are in server/app.py's and server/body.py's docstrings.
tests/api checks the answers the suite sees against this document, and schemathesis checks the
live server against it (tests/api/test_contract.py).
"""

from __future__ import annotations

from typing import Any

_ERROR = {
    "type": "object",
    "required": ["error", "reason"],
    "properties": {"error": {"type": "string"}, "reason": {"type": "string"}},
}
_FILE = {
    "oneOf": [
        {"type": "string"},
        {"type": "object", "required": ["base64"], "properties": {"base64": {"type": "string"}}},
    ]
}
_RUN_REQUEST = {
    "type": "object",
    "required": ["code"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "minLength": 1, "maxLength": 5000, "examples": ["print(2 + 2)"]},
        "language": {"type": "string", "examples": ["python"]},
        "profile": {"type": "string", "examples": ["hardened"]},
        "without": {"type": "array", "items": {"type": "string"}},
        "stdin": {"type": "string"},
        "files": {"type": "object", "additionalProperties": _FILE},
    },
}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_RUN_RESULT = {
    "type": "object",
    "required": ["status", "stdout", "stderr", "duration_s", "stopped_by", "profile", "language"],
    "properties": {
        "output": {"type": "string"},
        "error": {"type": "string"},
        "status": {"type": "string"},
        "stdout": {"type": "string"},
        "stderr": {"type": "string"},
        "exit_code": {"type": ["integer", "null"]},
        "duration_s": {"type": "number"},
        "stopped_by": {"type": ["string", "null"]},
        "message": {"type": "string"},
        "usage": {"type": ["object", "null"]},
        "profile": {"type": "string"},
        "language": {"type": "string"},
        "attempt": {
            "type": "integer",
            "description": "through a broker (--broker) only: 2 or more when the run was redelivered "
            "after its first worker was lost, so the program ran again",
        },
        "worker": {"type": "string", "description": "through a broker only: the worker that ran it"},
        "files": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "size", "type", "base64"],
                "properties": {
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "type": {"type": "string"},
                    "base64": {"type": "string"},
                },
            },
        },
    },
}
_RUN_VIEW = {
    "type": "object",
    "required": ["id", "status", "stopped_by", "language", "profile", "queued_at"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string"},
        "stopped_by": {"type": ["string", "null"]},
        "language": {"type": "string"},
        "profile": {"type": "string"},
        "queued_at": {"type": "number"},
        "wait_s": _NULLABLE_NUMBER,
        "duration_s": _NULLABLE_NUMBER,
        "usage": {"type": ["object", "null"]},
    },
}
_GRADE_REQUEST = {
    "type": "object",
    "required": ["submission", "tests"],
    "additionalProperties": False,
    "properties": {
        "submission": {
            "type": "string",
            "minLength": 1,
            "maxLength": 262144,
            "description": "the student's Python source (at most 256 KiB in UTF-8)",
            "examples": ["def add(a, b):\n    return a + b\n"],
        },
        "tests": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1048576,
            "description": "the instructor's tests file (docs/grading.md), run in the server's process",
            "examples": ["def test_add(student):\n    assert student.add(2, 3) == 5\n"],
        },
        "profile": {"type": "string", "examples": ["hardened"]},
    },
}
_GRADESCOPE = {
    "type": "object",
    "required": ["score", "tests"],
    "properties": {
        "score": {"type": "number"},
        "execution_time": {"type": "number"},
        "output": {"type": "string"},
        "tests": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "score", "max_score", "visibility", "output", "extra_data"],
                "properties": {
                    "name": {"type": "string"},
                    "score": {"type": "number"},
                    "max_score": {"type": "number"},
                    "status": {"enum": ["passed", "failed"]},
                    "visibility": {"enum": ["visible", "hidden", "after_due_date", "after_published"]},
                    "output": {"type": "string"},
                    "extra_data": {
                        "type": "object",
                        "required": ["verdict", "stopped_by"],
                        "properties": {
                            "verdict": {"enum": ["passed", "failed", "error", "stopped"]},
                            "stopped_by": {"type": ["string", "null"]},
                            "runs": {"type": "integer"},
                        },
                    },
                },
            },
        },
    },
}
_CLASS_VIEW = {
    "type": "object",
    "required": ["class", "students", "totals", "queue"],
    "properties": {
        "class": {"type": "string"},
        "students": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name", "runs_total", "runs"],
                "properties": {
                    "name": {"type": "string"},
                    "runs_total": {"type": "integer"},
                    "runs": {"type": "array", "items": _RUN_VIEW},
                },
            },
        },
        "totals": {
            "type": "object",
            "required": ["runs", "by_status", "by_stopped_by"],
            "properties": {
                "runs": {"type": "integer"},
                "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
                "by_stopped_by": {"type": "object", "additionalProperties": {"type": "integer"}},
            },
        },
        "queue": {
            "type": "object",
            "required": ["waiting", "by_student"],
            "properties": {"waiting": {"type": "integer"}, "by_student": {"type": "object"}},
        },
    },
}
_ME = {
    "type": "object",
    "required": ["class", "who", "role"],
    "properties": {
        "class": {"type": ["string", "null"]},
        "who": {"type": ["string", "null"]},
        "role": {"enum": ["student", "teacher", None]},
        "quotas": {"type": "object"},
    },
}
_HEALTH = {
    "type": "object",
    "required": ["ok", "engine", "image", "pool", "warm", "removals"],
    "properties": {"ok": {"type": "boolean"}, "pool": {"type": "object"}, "warm": {"type": "object"}},
}
_CONFIG = {
    "type": "object",
    "required": ["profiles", "default_profile", "controls", "languages", "limits", "pool", "join_code_required"],
    "properties": {
        "profiles": {"type": "array", "items": {"type": "string"}},
        "default_profile": {"type": "string"},
        "allow_ablation": {"type": "boolean"},
        "join_code_required": {"type": "boolean"},
    },
}
_EXAMPLES = {
    "type": "object",
    "required": ["examples"],
    "properties": {"examples": {"type": "array", "items": {"type": "object"}}},
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors() -> dict[str, Any]:
    """Any endpoint may be refused before it is reached (a bad Host: 421, a bad path: 400...)."""
    return {"default": {"$ref": "#/components/responses/Error"}}


_RETRY = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}
_BEARER: list[dict[str, list[str]]] = [
    {"joinCode": []},
    {},
]  # a class's server needs the code; a server without a class, nothing


def _run_op(summary: str, ok: dict) -> dict:
    return {
        "summary": summary,
        "security": _BEARER,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _RUN_REQUEST}}},
        "responses": {
            "200": ok,
            "429": {
                "description": "busy, or a student's quota (reason says which)",
                "headers": _RETRY,
                "content": {"application/json": {"schema": _ERROR}},
            },
            **_errors(),
        },
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "safe-python server",
        "version": "1",
        "description": "Runs untrusted code in a fresh container. On a class's server, /run needs "
        "`Authorization: Bearer JOIN_CODE`: curl -H 'Authorization: Bearer CODE' -H "
        "'Content-Type: application/json' -d '{\"code\": \"print(2 + 2)\"}' http://HOST:8000/run",
    },
    "paths": {
        "/run": {
            "post": _run_op("Run a program and answer with its whole Result", _json(_RUN_RESULT, "the run happened"))
        },
        "/run/stream": {
            "post": _run_op(
                "Run a program; its output as it arrives, as newline-delimited JSON events",
                {
                    "description": "events: start, output, running, then result or error",
                    "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                },
            )
        },
        "/grade": {
            "post": {
                "summary": "Grade a submission with the instructor's tests: Gradescope's results.json "
                "(a class's server, the teacher's code only; docs/grading.md)",
                "security": [{"joinCode": []}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _GRADE_REQUEST}}},
                "responses": {
                    "200": _json(_GRADESCOPE, "graded, whatever the submission's code did"),
                    "429": {
                        "description": "another grading is running, or the class's queue stayed full",
                        "headers": _RETRY,
                        "content": {"application/json": {"schema": _ERROR}},
                    },
                    **_errors(),
                },
            }
        },
        "/health": {
            "get": {
                "summary": "Whether the engine and images are there, and the pool's state",
                "responses": {"200": _json(_HEALTH, "ready"), "503": _json(_HEALTH, "not ready"), **_errors()},
            }
        },
        "/api/config": {
            "get": {
                "summary": "Profiles, controls, languages, bounds",
                "responses": {"200": _json(_CONFIG, ""), **_errors()},
            }
        },
        "/api/examples": {
            "get": {"summary": "The example programs", "responses": {"200": _json(_EXAMPLES, ""), **_errors()}}
        },
        "/api/class/me": {
            "get": {
                "summary": "Who a join code belongs to (all null on a server without a class)",
                "security": _BEARER,
                "responses": {"200": _json(_ME, "the code is good"), **_errors()},
            }
        },
        "/api/class": {
            "get": {
                "summary": "The teacher's view: each student's recent runs and the totals",
                "security": [{"joinCode": []}],
                "responses": {"200": _json(_CLASS_VIEW, "the class"), **_errors()},
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics: loopback, or the teacher's code",
                "security": [{"joinCode": []}, {}],
                "responses": {
                    "200": {
                        "description": "the text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(),
                },
            }
        },
        "/openapi.json": {
            "get": {"summary": "This document", "responses": {"200": _json({"type": "object"}, ""), **_errors()}}
        },
    },
    "components": {
        "securitySchemes": {"joinCode": {"type": "http", "scheme": "bearer", "description": "a class's join code"}},
        "responses": {"Error": _json(_ERROR, "refused: why, in words and as a reason code")},
        "schemas": {
            "Error": _ERROR,
            "RunRequest": _RUN_REQUEST,
            "RunResult": _RUN_RESULT,
            "GradeRequest": _GRADE_REQUEST,
            "GradeResult": _GRADESCOPE,
        },
    },
}
