"""Make src/remit/_worldmap/countries-110m.json from Natural Earth's 1:110m admin-0 countries.

A one-off: run it again only to change the projection, the simplification or the data. Natural
Earth's data is in the public domain (https://www.naturalearthdata.com/about/terms-of-use/); the
1:110m countries come, as a shapefile, inside the geopandas 0.14.4 wheel from PyPI
(``geopandas/datasets/naturalearth_lowres``), which is where this script reads them from:

    pip download --no-deps geopandas==0.14.4 -d /tmp/ne
    .venv/bin/python tools/worldmap.py /tmp/ne/geopandas-0.14.4-py3-none-any.whl

It reads the shapefile with the small reader below (no GIS library), drops Antarctica, projects
longitude and latitude plainly (equirectangular: 2 px a degree, latitudes 84 N to 60 S), simplifies
each ring (Douglas-Peucker, 0.6 px), and writes one SVG path per ISO 3166-1 alpha-2 code (from
the ISO alpha-3 code, through pycountry). Places too small for 1:110m (Hong Kong, Macao, ...) get
a point of their own, from the coordinates in ``POINTS``, so that a scope naming them shows.
"""

from __future__ import annotations

import json
import struct
import sys
import zipfile
from pathlib import Path

import pycountry

SCALE = 2.0  # px a degree
NORTH, SOUTH = 84.0, -60.0
TOLERANCE = 0.6  # px
OUT = Path(__file__).resolve().parents[1] / "src" / "remit" / "_worldmap" / "countries-110m.json"
SHAPES = "geopandas/datasets/naturalearth_lowres/naturalearth_lowres"
#: Natural Earth's ``-99`` (no ISO code of its own) for places that have one.
BY_NAME = {"France": "FR", "Norway": "NO", "Kosovo": "XK", "Somaliland": "SO", "N. Cyprus": "CY"}
#: Places 1:110m leaves out, as (longitude, latitude).
POINTS = {
    "HK": (114.17, 22.32), "MO": (113.55, 22.17), "SG": (103.82, 1.35), "BH": (50.56, 26.07),
    "MT": (14.45, 35.9), "LU": (6.13, 49.8), "AD": (1.52, 42.5), "MC": (7.42, 43.74),
    "LI": (9.55, 47.16), "SM": (12.46, 43.94),
}  # fmt: skip


def read_dbf(data: bytes) -> list[dict[str, str]]:
    count, header_size = struct.unpack("<IH", data[4:10])
    record_size = struct.unpack("<H", data[10:12])[0]
    fields, at = [], 32
    while data[at] != 0x0D:
        name = data[at : at + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, data[at + 16]))
        at += 32
    rows = []
    for n in range(count):
        start = header_size + n * record_size + 1  # after the deletion flag
        row, offset = {}, start
        for name, size in fields:
            row[name] = data[offset : offset + size].decode("utf-8", "replace").strip()
            offset += size
        rows.append(row)
    return rows


def read_shp(data: bytes) -> list[list[list[tuple[float, float]]]]:
    shapes, at = [], 100
    while at < len(data):
        length = struct.unpack(">i", data[at + 4 : at + 8])[0] * 2
        content = data[at + 8 : at + 8 + length]
        at += 8 + length
        kind = struct.unpack("<i", content[:4])[0]
        if kind == 0:
            shapes.append([])
            continue
        assert kind == 5, f"shape type {kind}: polygons only"
        parts_n, points_n = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{parts_n}i", content[44 : 44 + 4 * parts_n]))
        base = 44 + 4 * parts_n
        points = [struct.unpack("<dd", content[base + 16 * i : base + 16 * i + 16]) for i in range(points_n)]
        rings = [points[a:b] for a, b in zip(parts, [*parts[1:], points_n], strict=True)]
        shapes.append(rings)
    return shapes


def project(lon: float, lat: float) -> tuple[float, float]:
    lat = max(SOUTH, min(NORTH, lat))
    return (lon + 180.0) * SCALE, (NORTH - lat) * SCALE


def simplify(points: list[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        norm = (dx * dx + dy * dy) ** 0.5
        worst, index = 0.0, first
        for i in range(first + 1, last):
            x, y = points[i]
            d = abs(dy * (x - x1) - dx * (y - y1)) / norm if norm else ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
            if d > worst:
                worst, index = d, i
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def centre(rings: list[list[tuple[float, float]]]) -> list[float]:
    """The middle of the largest ring's box, where a country's marker goes."""
    largest = max(rings, key=lambda r: (max(p[0] for p in r) - min(p[0] for p in r)) * (max(p[1] for p in r) - min(p[1] for p in r)))
    xs, ys = zip(*(project(lon, lat) for lon, lat in largest), strict=True)
    return [round((min(xs) + max(xs)) / 2, 1), round((min(ys) + max(ys)) / 2, 1)]


def path(rings: list[list[tuple[float, float]]]) -> str:
    out = []
    for ring in rings:
        flat = simplify([project(lon, lat) for lon, lat in ring], TOLERANCE)
        if len(flat) < 4:
            continue
        xs = [x for x, _ in flat]
        ys = [y for _, y in flat]
        if max(xs) - min(xs) < 1 and max(ys) - min(ys) < 1:
            continue  # a speck
        out.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in flat[:-1]) + "Z")
    return "".join(out)


def alpha2(row: dict[str, str]) -> str | None:
    if row["name"] in BY_NAME:
        return BY_NAME[row["name"]]
    found = pycountry.countries.get(alpha_3=row["iso_a3"])
    return found.alpha_2 if found else None


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as z:
        rows = read_dbf(z.read(SHAPES + ".dbf"))
        shapes = read_shp(z.read(SHAPES + ".shp"))
    countries: dict[str, str] = {}
    centres: dict[str, list[float]] = {}
    for row, rings in zip(rows, shapes, strict=True):
        code = alpha2(row)
        if code is None or row["name"] == "Antarctica":
            print(f"left out: {row['name']} {row['iso_a3']}", file=sys.stderr)
            continue
        drawn = path(rings)
        if drawn:
            countries[code] = countries.get(code, "") + drawn
            centres.setdefault(code, centre(rings))
    points = {code: [round(v, 1) for v in project(*lonlat)] for code, lonlat in POINTS.items()}
    data = {
        "source": "Natural Earth 1:110m Cultural Vectors, Admin 0 - Countries (as shipped in "
        "geopandas 0.14.4, naturalearth_lowres), simplified and projected by tools/worldmap.py",
        "licence": "Public domain: Made with Natural Earth. Free vector and raster map data "
        "@ naturalearthdata.com (https://www.naturalearthdata.com/about/terms-of-use/)",
        "projection": f"equirectangular, {SCALE:g} px a degree, {NORTH:g}N to {-SOUTH:g}S",
        "width": round(360 * SCALE),
        "height": round((NORTH - SOUTH) * SCALE),
        "countries": dict(sorted(countries.items())),
        "centres": dict(sorted(centres.items())),
        "points": points,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", "utf-8")
    print(f"{OUT}: {len(countries)} countries, {OUT.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1])
