ATTACK = {
    "title": "Secrets in the environment",
    "category": "info",
    "misconfiguration": "env_secret",
    "hardened": "the kit passes no secrets: the environment holds only PATH, HOME, HOSTNAME and the like",
    "ablated": "the harness passes a canary token, as a careless deployment would pass an API key; the attack reads it",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "secrets": {}}},
        "ablated": {"status": "ok", "report": {"achieved": True}},
        "naive": {"status": "ok", "report": {"achieved": False}},
    },
    "explain": """
        Environment variables are the usual way to hand a service its database password or
        API key, and every child process inherits them. A sandbox started by a service that
        passes its own environment through, or that sets a token 'just for this run', gives
        that secret to the untrusted code, which only has to read os.environ (or
        /proc/self/environ). No control can take back a secret once it is inside, so the kit
        simply passes none: sandbox.run starts every container with an empty environment
        unless the caller gives one on purpose. To show the difference, the harness passes a
        random canary in the misconfigured run only, and the verdict checks the attack quoted it.
    """,
}

import json
import os
import re

LOOKS_SECRET = re.compile(r"SECRET|TOKEN|PASSW|KEY|CREDENTIAL|AUTH|^AWS_|^API", re.IGNORECASE)
found = {name: value for name, value in os.environ.items() if LOOKS_SECRET.search(name)}
print("ATTACK_REPORT " + json.dumps({"achieved": bool(found), "secrets": found, "names": sorted(os.environ)}))
