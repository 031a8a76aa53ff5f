#!/usr/bin/env bash
# `refnet report` with no configuration: the built-in default configuration on the bundled
# sample, run from another working directory, gives the same report as
# datasets/sample/analysis.yaml (the two configurations must stay equivalent); and after
# `cmake --install` the installed binary finds its installed copy of the sample.
set -u
refnet=$1; src=$2; build=$3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi; }
status() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
[[ "$refnet" = /* ]] || refnet=$PWD/$refnet

compare() { # compare NAME DIR: same numbers and text as the analysis.yaml report
  for f in customers.csv campaigns.csv channels.csv summary.json; do
    cmp -s "$tmp/ref/$f" "$2/$f" || { echo "FAIL $1: $f differs"; diff "$tmp/ref/$f" "$2/$f" | head; fail=1; }
  done
  # the footer names the configuration; everything above it is the same
  diff <(sed '$d' "$tmp/ref/report.md") <(sed '$d' "$2/report.md") >/dev/null ||
    { echo "FAIL $1: report.md differs"; fail=1; }
}

check "reference" 0 "$(status "$refnet" report "$src/datasets/sample/analysis.yaml" --quiet --out "$tmp/ref")"

# from the build tree, in an unrelated working directory: ./refnet-report appears there
mkdir -p "$tmp/elsewhere"
check "default run" 0 "$(cd "$tmp/elsewhere" && status "$refnet" report)"
[[ -f "$tmp/elsewhere/refnet-report/report.html" ]] || { echo "FAIL no ./refnet-report"; cat "$tmp/err"; fail=1; }
grep -q "Report written to $tmp/elsewhere/refnet-report/report.html" "$tmp/out" || { echo "FAIL summary names the report"; cat "$tmp/out"; fail=1; }
compare "default" "$tmp/elsewhere/refnet-report"
tail -1 "$tmp/elsewhere/refnet-report/report.md" | grep -q "built-in default configuration" || { echo "FAIL footer"; fail=1; }
# running again replaces the previous report
check "second run" 0 "$(cd "$tmp/elsewhere" && status "$refnet" report --quiet)"

# REFNET_SAMPLE_DIR points at another copy of the sample
mkdir -p "$tmp/copy"; cp "$src"/datasets/sample/*.csv "$tmp/copy/"
check "env sample" 0 "$(cd "$tmp/elsewhere" && REFNET_SAMPLE_DIR=$tmp/copy status "$refnet" report --quiet --out "$tmp/env")"
compare "REFNET_SAMPLE_DIR" "$tmp/env"
check "env missing" 66 "$(REFNET_SAMPLE_DIR=$tmp/nowhere status "$refnet" report --quiet --out "$tmp/none")"

# installed: bin/refnet finds share/refnet/sample under whatever prefix it was installed to
if cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1; then
  [[ -f "$tmp/prefix/share/refnet/sample/referrals.csv" ]] || { echo "FAIL sample not installed"; fail=1; }
  mkdir -p "$tmp/inst-run"
  check "installed default run" 0 "$(cd "$tmp/inst-run" && status "$tmp/prefix/bin/refnet" report --quiet)"
  compare "installed" "$tmp/inst-run/refnet-report"
  # it really used the installed copy, not the source tree
  grep -q "share/refnet/sample" "$tmp/inst-run/refnet-report/manifest.json" || { echo "FAIL installed run did not use the installed sample"; fail=1; }
else
  echo "FAIL cmake --install"; cat "$tmp/install.log"; fail=1
fi
exit $fail
