"""Draw the installable app's icons (zhenwu/static/offline/icon-*.png) with Pillow.

The PNGs are committed; run this again only to change them: `.venv/bin/python scripts/make_icons.py`.
The mark is drawn, not typeset (no font file is needed): a red rounded square with a white
house and a five-pointed star above its roof, the town platform's sign. The "maskable" variant keeps
the mark inside the central 80 % safe zone that launchers may crop to a circle.
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "zhenwu" / "static" / "offline"
RED = (196, 30, 36, 255)
WHITE = (255, 255, 255, 255)
GOLD = (255, 214, 0, 255)


def star(draw, cx, cy, r, fill):
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=fill)


def mark(draw, size, inset):
    """The house and star within the square (inset, inset)–(size-inset, size-inset)."""
    span = size - 2 * inset
    x0, y0 = inset, inset

    def p(fx, fy):
        return (x0 + fx * span, y0 + fy * span)

    star(draw, *p(0.5, 0.2), span * 0.12, GOLD)
    draw.polygon([p(0.18, 0.52), p(0.5, 0.3), p(0.82, 0.52)], fill=WHITE)  # roof
    draw.rectangle([p(0.27, 0.5), p(0.73, 0.8)], fill=WHITE)  # walls
    draw.rectangle([p(0.44, 0.62), p(0.56, 0.8)], fill=RED)  # door


def icon(size, *, maskable):
    scale = 4  # draw large and shrink: smooth edges without antialiasing primitives
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if maskable:
        draw.rectangle([0, 0, big, big], fill=RED)
        mark(draw, big, big * 0.18)
    else:
        draw.rounded_rectangle([0, 0, big - 1, big - 1], radius=big * 0.18, fill=RED)
        mark(draw, big, big * 0.08)
    return image.resize((size, size), Image.LANCZOS)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        icon(size, maskable=False).save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).convert("RGB").save(OUT / "apple-touch-icon.png", optimize=True)
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(OUT.parent.parent.parent)}  {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
