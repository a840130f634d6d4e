"""The project's markdown tables and notes as standalone HTML pages (for the
Snakemake report, which shows HTML inline but CSV and markdown only as files).

Handles the subset of markdown the project writes: headings, pipe tables,
bullet and numbered lists, paragraphs, **bold** and `code`.
"""

from __future__ import annotations

import html
import re

STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;font-size:0.85em;margin:1em 0}"
    "th,td{border:1px solid #ccc;padding:0.25em 0.5em}td.num{text-align:right}"
    "th{background:#f0f0f0}"
)


def _inline(text: str) -> str:
    text = html.escape(text)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def markdown_to_html(markdown: str, title: str) -> str:
    out: list[str] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            header, align = _cells(line), _cells(lines[i + 1]) if i + 1 < len(lines) else []
            right = [a.endswith(":") and not a.startswith(":") for a in align]
            out.append("<table><thead><tr>"
                       + "".join(f"<th>{_inline(c)}</th>" for c in header) + "</tr></thead><tbody>")
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                cells = _cells(lines[i])
                out.append("<tr>" + "".join(
                    f'<td class="num">{_inline(c)}</td>' if k < len(right) and right[k]
                    else f"<td>{_inline(c)}</td>" for k, c in enumerate(cells)) + "</tr>")
                i += 1
            out.append("</tbody></table>")
            continue
        heading = re.match(r"^(#{1,6}) (.*)$", line)
        item = re.match(r"^(?:- |\d+\. )(.*)$", line)
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            tag = "ol" if line[0].isdigit() else "ul"
            out.append(f"<{tag}>")
            while i < len(lines) and re.match(r"^(?:- |\d+\. )", lines[i]):
                out.append(f"<li>{_inline(re.sub(r'^(?:- |[0-9]+[.] )', '', lines[i]))}</li>")
                i += 1
            out.append(f"</{tag}>")
            continue
        elif line.strip():
            out.append(f"<p>{_inline(line)}</p>")
        i += 1
    body = "\n".join(out)
    return (f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
