#!/usr/bin/env bash
# report.html renders in a real browser: headless Chromium takes a screenshot of the sample
# report and scripts/render_check decodes the PNG and checks it is not blank.  Skips (exit 0,
# with a message) where Chromium is not installed.
set -u
refnet=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$refnet" report "$src/datasets/sample/analysis.yaml" --quiet --out "$tmp/report" || { echo "FAIL report run"; exit 1; }
"$src/scripts/render_check" "$tmp/report/report.html" "$tmp/report.png"
