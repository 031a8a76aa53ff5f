#!/usr/bin/env bash
# The golden report.html renders in a real browser: headless Chromium takes a screenshot, and
# the picture must not be blank (enough non-white pixels, the chart's blue among them).
# Skipped, with a message, where Chromium is not installed.
# Usage: check_html_render.sh REFNET SOURCE_DIR BUILD_DIR
set -u
src=$2 build=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $browser ]]; then
  echo "SKIP: chromium not installed (apt-get install chromium); report.html not rendered" >&2
  exit 0
fi
work=$(mktemp -d "$build/render-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$src/tests/data/report/report.html" "$work/"
# a private profile and no network: the report must render from the file alone
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
  --user-data-dir="$work/profile" --window-size=1000,1400 \
  --screenshot="$work/shot.png" "file://$work/report.html" >/dev/null 2>&1
[[ -s $work/shot.png ]] || { echo "FAIL: no screenshot" >&2; exit 1; }
python3 - "$work/shot.png" <<'PY'
# Decodes the PNG (8-bit RGB or RGBA, as Chromium writes it) and measures how much is drawn.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, width = 8, b"", 0
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and colour in (2, 6), "unexpected PNG format"
        bpp = 3 if colour == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
raw = zlib.decompress(idat)
stride = width * bpp
prev = bytearray(stride)
ink = blue = 0
for y in range(height):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        r, g, bl = line[x], line[x + 1], line[x + 2]
        if r < 200 or g < 200 or bl < 200:
            ink += 1
        if r < 40 and 90 < g < 140 and bl > 150:   # #0072B2, the bars
            blue += 1
    prev = line
share = ink / (width * height)
print(f"rendered {width}x{height}: {100 * share:.2f}% drawn, {blue} chart-blue pixels")
sys.exit(0 if share > 0.01 and blue > 1000 else 1)
PY
