"""The served images hold no setuid or setgid file; only the lab image carries its fixture.

Each image's whole filesystem is walked from inside a run under the seed profile (Docker's
default capabilities, no no-new-privileges): the profile where such a file would matter.
"""

from __future__ import annotations

import json

import pytest

from sandbox import PROFILES, run
from sandbox.images import IMAGES

SEED = PROFILES["seed"].replace(output_cap_bytes=1024 * 1024, name="seed")
SKIP = ("/proc", "/sys", "/dev")

WALK_PYTHON = f"""
import json, os, stat
checked, found = 0, []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in {SKIP!r}]
    for name in files:
        path = os.path.join(root, name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        checked += 1
        if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
            found.append(path)
print(json.dumps({{"checked": checked, "found": found}}))
"""

WALK_JAVASCRIPT = f"""
const fs = require("fs"), path = require("path");
const skip = new Set({json.dumps(list(SKIP))});
let checked = 0; const found = [];
function walk(dir) {{
  let entries;
  try {{ entries = fs.readdirSync(dir, {{withFileTypes: true}}); }} catch (e) {{ return; }}
  for (const entry of entries) {{
    const p = path.join(dir, entry.name);
    if (skip.has(p)) continue;
    let st;
    try {{ st = fs.lstatSync(p); }} catch (e) {{ continue; }}
    if (st.isDirectory()) walk(p);
    else {{ checked++; if (st.isFile() && (st.mode & 0o6000)) found.push(p); }}
  }}
}}
walk("/");
console.log(JSON.stringify({{checked, found}}));
"""


def walk(image_key: str) -> dict:
    image = IMAGES[image_key]
    language = "javascript" if image_key == "javascript" else "python"
    program = WALK_JAVASCRIPT if language == "javascript" else WALK_PYTHON
    result = run(program, SEED, language=language, image=image.tag)
    assert result.status == "ok", result.message + result.stderr[-500:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("image_key", ["python", "javascript"])
def test_a_served_image_holds_no_setuid_or_setgid_file(image_key):
    found = walk(image_key)
    assert found["checked"] > 1000, found  # the walk really went through the image
    assert found["found"] == []


def test_the_lab_image_carries_its_setuid_fixture_and_nothing_else():
    found = walk("lab")
    assert found["found"] == ["/opt/lab/setuid-id"]
