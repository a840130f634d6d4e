"""``kind: fonts``: Chars74K-"Fnt"-like characters 0-9 A-Z a-z rendered from font files.

Fonts come from matplotlib's wheel (mpl-data/fonts/ttf) and any ``font_dirs``.
A character is kept only when the font has a glyph of its own for it: mapped in
the cmap, named as that character (when the font names its glyphs), not shared
with another character, inked, and not the font's .notdef box. Splits are by
font (or family), so no font is in two splits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from inpaint.data.common import (
    CHARS,
    Cfg,
    Common,
    Item,
    assign_splits,
    char_tag,
    make_split,
    safe_id,
)
from inpaint.data.store import SPLITS
from inpaint.errors import InpaintError
from inpaint.io import sha256_file
from inpaint.paths import project_path

DEFAULT_CHANNELS = 1
DEFAULT_LABEL = "characters (fonts)"
FONT_SUFFIXES = (".ttf", ".otf")
NOTDEF_PROBES = ("\ue000", "\uffff")  # private use / non-character: never a Latin glyph
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_GENERIC_NAME = re.compile(r"^(glyph|gid|cid|g|index)?_?\d+$")


def matplotlib_font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def find_fonts(dirs: list[Path], builtin: bool = True) -> list[tuple[str, Path]]:
    """(origin, path) of every font file: matplotlib's first, then each dir, sorted, recursive."""
    roots = ([("matplotlib", matplotlib_font_dir())] if builtin else []) + [
        (str(d), Path(d)) for d in dirs]
    found = []
    for origin, root in roots:
        if not root.is_dir():
            raise InpaintError(f"font folder not found: {root}")
        files = [p for p in root.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file()]
        found += [(origin, p) for p in sorted(files, key=lambda p: p.relative_to(root).as_posix())]
    return found


def _glyph_names(path: Path) -> dict[str, str] | None:
    """char -> glyph name from the font's cmap, or None when fontTools cannot parse it."""
    try:
        from fontTools.ttLib import TTFont

        with TTFont(str(path), lazy=True, fontNumber=0) as font:
            cmap = font.getBestCmap() or {}
            return {ch: cmap[ord(ch)] for ch in CHARS if ord(ch) in cmap}
    except Exception:  # any parse failure: fall back to the render checks alone
        return None


def _name_matches(name: str, ch: str) -> bool:
    if name in (f"uni{ord(ch):04X}", f"u{ord(ch):04X}"):
        return True
    if ch.isdigit():  # zero, zerooldstyle, zero.alt, ...
        return name.startswith(DIGIT_NAMES[int(ch)])
    return name == ch or name.startswith(ch + ".")


def _ink(font: ImageFont.FreeTypeFont, ch: str) -> Image.Image | None:
    """The glyph's inked box at render size (white on black), or None when nothing is inked."""
    left, top, right, bottom = font.getbbox(ch)
    pad = 4
    img = Image.new("L", (max(right - left, 1) + 2 * pad, max(bottom - top, 1) + 2 * pad), 0)
    ImageDraw.Draw(img).text((pad - left, pad - top), ch, font=font, fill=255)
    box = img.getbbox()
    return None if box is None else img.crop(box)


def fit_glyph(ink: Image.Image, size: int, margin: int) -> np.ndarray:
    """Scale an inked box to fit size - 2 * margin, centre it: black glyph on white, uint8."""
    w, h = ink.size
    scale = (size - 2 * margin) / max(w, h)
    tw, th = max(1, round(w * scale)), max(1, round(h * scale))
    canvas = Image.new("L", (size, size), 0)
    canvas.paste(ink.resize((tw, th), Image.Resampling.LANCZOS), ((size - tw) // 2,
                                                                 (size - th) // 2))
    return 255 - np.asarray(canvas, dtype=np.uint8)


@dataclass
class FontCheck:
    """What one font file gives: a render per kept character, a reason per dropped one."""

    path: Path
    family: str = ""
    style: str = ""
    glyphs: dict[str, np.ndarray] = field(default_factory=dict)
    dropped: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def check_font(path: str | Path, size: int, margin: float = 0.1) -> FontCheck:
    """Render CHARS from one font at ``size`` px and drop the characters it lacks."""
    path = Path(path)
    result = FontCheck(path=path)
    try:
        font = ImageFont.truetype(str(path), 8 * size)
        result.family, result.style = font.getname()
    except (OSError, ValueError) as exc:
        result.error = f"cannot open font: {exc}"
        return result
    names = _glyph_names(path)
    named = names is not None and any(not _GENERIC_NAME.match(n) for n in names.values())
    try:
        inks = {ch: _ink(font, ch) for ch in CHARS}
        notdefs = [ink for ink in (_ink(font, p) for p in NOTDEF_PROBES) if ink is not None]
    except (OSError, ValueError) as exc:
        result.error = f"cannot render with this font: {exc}"
        return result
    shared: dict[str, list[str]] = {}
    for ch, glyph in (names or {}).items():
        shared.setdefault(glyph, []).append(ch)
    margin_px = round(margin * size)
    for ch in CHARS:
        ink = inks[ch]
        if names is not None and ch not in names:
            result.dropped[ch] = "not in the font's cmap"
        elif named and not _name_matches(names[ch], ch):
            result.dropped[ch] = f"mapped to glyph {names[ch]!r}, not {ch!r}"
        elif names is not None and len(shared[names[ch]]) > 1:
            result.dropped[ch] = f"glyph {names[ch]!r} shared by {''.join(shared[names[ch]])}"
        elif ink is None:
            result.dropped[ch] = "renders no ink"
        elif any(_same(ink, nd) for nd in notdefs):
            result.dropped[ch] = "renders as the .notdef box"
        else:
            result.glyphs[ch] = fit_glyph(ink, size, margin_px)
    return result


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.tobytes() == b.tobytes()


def build(cfg: Cfg, common: Common):
    font_dirs = [project_path(d, f"datasets.{cfg.name}.font_dirs")
                 for d in cfg.get_str_list("font_dirs", [])]
    builtin = cfg.get_bool("builtin_fonts", True)
    margin = cfg.get_float("margin", 0.1, 0.0, 0.45)
    min_glyphs = cfg.get_int("min_glyphs", len(CHARS), minimum=1)
    split_by = cfg.get_choice("split_by", "font", ("font", "family"))
    val_fraction = cfg.get_float("val_fraction", 0.1)
    test_fraction = cfg.get_float("test_fraction", 0.1)
    cfg.finish()
    if min_glyphs > len(CHARS):
        raise cfg.error("min_glyphs", f"must be <= {len(CHARS)}, got {min_glyphs}")
    try:
        font_files = find_fonts(font_dirs, builtin)
    except InpaintError as exc:
        raise cfg.error("font_dirs", str(exc)) from None

    items, used, skipped, by_hash, slugs = [], [], [], {}, set()
    for origin, path in font_files:
        digest = sha256_file(path)
        entry = {"file": path.name, "origin": origin, "sha256": digest}
        if digest in by_hash:
            skipped.append({**entry, "reason": f"same file as {by_hash[digest]}"})
            continue
        by_hash[digest] = path.name
        check = check_font(path, common.size, margin)
        if check.error or len(check.glyphs) < min_glyphs:
            example = next(iter(check.dropped.items()), ("", ""))
            reason = check.error or (f"only {len(check.glyphs)} of {len(CHARS)} characters have "
                                     f"a glyph of their own (min_glyphs {min_glyphs}); e.g. "
                                     f"{example[0]!r} {example[1]}")
            skipped.append({**entry, "reason": reason})
            continue
        slug = safe_id(path.stem)
        if slug.lower() in slugs:
            slug = f"{slug}-{digest[:8]}"
        slugs.add(slug.lower())
        group = slug if split_by == "font" else check.family
        used.append({**entry, "font": slug, "family": check.family, "style": check.style,
                     "group": group, "glyphs": len(check.glyphs),
                     "dropped": dict(check.dropped)})
        items += [Item(f"{slug}_{char_tag(ch)}", f"{path.name}:{ch}", group, image)
                  for ch, image in check.glyphs.items()]

    what = "fonts" if split_by == "font" else "font families"
    by_split, group_split = assign_splits(items, common, val_fraction, test_fraction, what)
    splits = {}
    for split in SPLITS:
        chosen = by_split[split]
        images = [np.repeat(i.payload[:, :, None], common.channels, axis=2) for i in chosen]
        splits[split] = make_split(chosen, images, common)
    for font in used:
        font["split"] = group_split[font["group"]]
    provenance = {
        "fonts": used, "skipped_fonts": skipped,
        "renderer": {"pillow": Image.__version__,
                     "freetype": features.version("freetype2")},
    }
    return splits, provenance
