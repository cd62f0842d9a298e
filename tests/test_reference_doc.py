"""The platform reference lives in the repository (issue #15 item 1): nothing cites the old out-of-tree fact
sheet, and every citation of docs/cafe24-reference.md names a section the page has."""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "docs" / "cafe24-reference.md"
OLD_SHEET = "FACTS" + ".md"  # spelt apart so this file does not cite it
SKIP_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "node_modules"}
# `docs/cafe24-reference.md#a`, also naming more sections: `…#a, #b` or `…#a and #b` (wrapped lines included);
# a relative link `(cafe24-reference.md#a)` from docs/ alike.
CITATION = re.compile(r"cafe24-reference\.md(#[\w-]+(?:(?:,\s+|\s+and\s+)#[\w-]+)*)")
SELF_LINK = re.compile(r"\]\((#[\w-]+)\)")  # the page's links to its own sections


def _texts() -> dict[Path, str]:
    texts = {}
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]  # egg-info: built
        for name in files:
            path = Path(folder) / name
            if path == Path(__file__).resolve():
                continue  # its own patterns are examples, not citations
            try:
                texts[path] = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # binary or unreadable: cannot hold a citation
    return texts


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as `-`, repeats numbered."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = re.match(r"#{1,6} (.+?)\s*#*$", line)
        if fenced or not heading:
            continue
        slug = re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in anchors:
            n += 1
            candidate = f"{slug}-{n}"
        anchors.add(candidate)
    return anchors


def test_nothing_cites_the_old_fact_sheet() -> None:
    mentions = [
        f"{path.relative_to(ROOT)}:{text[:i].count(chr(10)) + 1}"
        for path, text in _texts().items()
        for i in [text.find(OLD_SHEET)]
        if i >= 0
    ]
    assert not mentions, f"cite docs/cafe24-reference.md instead of {OLD_SHEET}: {mentions}"


def test_every_cited_section_exists() -> None:
    anchors = _anchors(REFERENCE.read_text(encoding="utf-8"))
    assert {"rate-limits", "oauth", "products", "orders", "customersprivacy", "dcollection"} <= anchors
    cited, missing = 0, []
    for path, text in _texts().items():
        found = list(CITATION.finditer(text))
        if path == REFERENCE:
            found += list(SELF_LINK.finditer(text))
        for match in found:
            for anchor in re.findall(r"#([\w-]+)", match.group(1)):
                cited += 1
                if anchor not in anchors:
                    line = text[: match.start()].count("\n") + 1
                    missing.append(f"{path.relative_to(ROOT)}:{line}: #{anchor}")
    assert cited > 150, f"only {cited} citations found: is the citation pattern still the one the code uses?"
    assert not missing, f"sections not in docs/cafe24-reference.md: {missing}"
