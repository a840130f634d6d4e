"""The documentation agrees with the project: config keys documented, links inside it."""

import re
from pathlib import Path

import pytest
import yaml

from inpaint.config import WORKFLOW_KEYS

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "config" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and [text]: target; images too
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)[^)]*\)|^\s*\[[^\]]+\]:\s*(\S+)", re.M)


def schema_keys(node: dict, prefix: str = "") -> set[str]:
    """Every property name of the config schema, at any depth (datasets.<name>.kind ...)."""
    keys = set()
    for name, sub in node.get("properties", {}).items():
        keys.add(name)
        keys |= schema_keys(sub, f"{prefix}{name}.")
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        keys |= schema_keys(extra, prefix)
    return keys


def test_config_readme_documents_every_schema_key():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    keys = schema_keys(schema) | set(WORKFLOW_KEYS)
    assert {"seed", "datasets", "kind", "font_dirs", "min_strokes", "validation_n"} <= keys
    readme = (ROOT / "config" / "README.md").read_text()
    missing = sorted(k for k in keys if f"`{k}`" not in readme)
    assert missing == [], f"config/README.md does not document {missing}"


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors of a Markdown file's headings."""
    anchors = set()
    for heading in re.findall(r"^#+\s+(.+?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        anchors.add(slug)
    return anchors


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code blocks hold no links
    return [a or b for a, b in LINK.findall(text)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_is_relative_and_its_target_exists(doc):
    assert doc.is_file()
    text = doc.read_text()
    assert not re.search(r"\b(https?|ftp)://|\bwww\.", text), f"{doc.name} links out"
    for link in links(doc):
        target, _, anchor = link.partition("#")
        assert not re.match(r"^[a-z][a-z0-9+.-]*:", target), (doc.name, link)
        file = (doc.parent / target).resolve() if target else doc
        assert file.exists(), (doc.name, link)
        assert file.is_relative_to(ROOT), (doc.name, link)
        if anchor and file.suffix == ".md":
            assert anchor in heading_anchors(file.read_text()), (doc.name, link)


def test_readme_is_short_and_links_every_doc():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    linked = {(ROOT / link.partition("#")[0]).resolve() for link in links(ROOT / "README.md")}
    for doc in DOCS[1:]:
        assert doc.resolve() in linked, f"README.md does not link {doc.relative_to(ROOT)}"
    assert (ROOT / "BENCHMARKS.md").resolve() in linked
