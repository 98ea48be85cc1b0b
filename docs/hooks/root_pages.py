"""MkDocs hook: the Markdown files that live outside docs/ become pages of the site.

ARCHITECTURE.md, CONTRIBUTING.md and attacks/README.md stay where a reader of the repository
looks for them (the root, next to the attacks), and the pages under docs/ link to them there
(`../ARCHITECTURE.md`), which is a valid link on disk and on any Git host. MkDocs in strict mode
refuses a link that leaves docs_dir, so this hook adds each of those files to the site under a
name of its own and rewrites the links on both sides: a docs page's `../ARCHITECTURE.md` becomes
`architecture.md`, and a root file's `docs/api.md` becomes `api.md`. Nothing is copied into the
repository; the site is the only place the generated pages exist.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mkdocs.structure.files import File, Files

# Page of the site <- file of the repository, relative to the folder of mkdocs.yml.
PAGES = {
    "architecture.md": "ARCHITECTURE.md",
    "contributing.md": "CONTRIBUTING.md",
    "attack-format.md": "attacks/README.md",
}

# A Markdown link's target: ](target) or ](target#anchor).
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)\s]*)?\)")


def _root(config) -> Path:
    return Path(config["config_file_path"]).resolve().parent


def on_files(files: Files, config, **kwargs) -> Files:
    for page, source in PAGES.items():
        text = (_root(config) / source).read_text(encoding="utf-8")
        files.append(File.generated(config, page, content=text))
    return files


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    root = _root(config)
    docs = Path(config["docs_dir"]).resolve()
    src_uri = page.file.src_uri
    # Where the page's text was written: a generated page's links are relative to its source.
    written_in = (root / PAGES[src_uri]).parent if src_uri in PAGES else (docs / src_uri).parent
    by_source = {(root / source).resolve(): docs / page_name for page_name, source in PAGES.items()}
    # The page's own place in the site, which its rewritten links start from.
    site_dir_of_page = (docs / src_uri).parent

    def rewrite(match: re.Match) -> str:
        target, anchor = match.group(1), match.group(2) or ""
        if "://" in target or target.startswith("mailto:"):
            return match.group(0)
        on_disk = (written_in / target).resolve()
        on_disk = by_source.get(on_disk, on_disk)
        if not on_disk.is_relative_to(docs):
            return match.group(0)  # left for strict mode to report
        return f"]({Path(os.path.relpath(on_disk, site_dir_of_page)).as_posix()}{anchor})"

    return _LINK.sub(rewrite, markdown)
