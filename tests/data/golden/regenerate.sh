#!/usr/bin/env bash
# Regenerates the golden files of the sample report (tests/cli/report.sh compares against
# them byte for byte).  Run after a deliberate change to the numbers or the layout, then
# review `git diff tests/data/golden` before committing.
#   tests/data/golden/regenerate.sh [path/to/refnet]
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
refnet=${1:-$root/build/refnet}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# the kernels the CLI tests pin (CMakeLists.txt): OpenBLAS's Haswell ones where the CPU has AVX2
grep -qw avx2 /proc/cpuinfo && export OPENBLAS_CORETYPE=Haswell
OMP_NUM_THREADS=1 "$refnet" report "$root/datasets/sample/analysis.yaml" --quiet --out "$tmp/report"
for f in report.md customers.csv campaigns.csv channels.csv summary.json; do
  cp "$tmp/report/$f" "$root/tests/data/golden/sample/$f"
done
echo "golden files updated in tests/data/golden/sample"
