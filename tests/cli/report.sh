#!/usr/bin/env bash
# refnet report end to end on the bundled sample: golden files (byte for byte, with 1 and 2
# threads), every SVG well-formed, report.html parsed as XML and as HTML, the files the
# report promises, no NaN or Inf anywhere, a graph export, and the failure paths: a bad data
# row is exit 65 with file:line:column, leaves no report folder and does not touch an
# existing report.
set -u
refnet=$1; src=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then echo "FAIL $1: expected [$2], got [$3]"; fail=1; fi
}
status() { "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }
golden=$src/tests/data/golden/sample
config=$src/datasets/sample/analysis.yaml

# ---- golden files, stable across thread counts ------------------------------------------
for threads in 1 2; do
  out=$tmp/report-$threads
  check "run ($threads threads)" 0 "$(OMP_NUM_THREADS=$threads status "$refnet" report "$config" --out "$out")"
  # stderr is not a terminal here: no progress at all
  check "quiet stderr ($threads)" "" "$(cat "$tmp/err")"
  grep -q "Report written to $out/report.html" "$tmp/out" || { echo "FAIL summary line"; cat "$tmp/out"; fail=1; }
  for f in report.md customers.csv campaigns.csv channels.csv summary.json; do
    cmp -s "$golden/$f" "$out/$f" || { echo "FAIL golden $f ($threads threads)"; diff "$golden/$f" "$out/$f" | head -20; fail=1; }
  done
done
cmp -s "$tmp/report-1/report.html" "$tmp/report-2/report.html" || { echo "FAIL report.html differs across thread counts"; fail=1; }
# --threads gives the same numbers as OMP_NUM_THREADS
check "threads option" 0 "$(status "$refnet" report "$config" --threads 2 --quiet --out "$tmp/report-t")"
check "quiet prints nothing" "" "$(cat "$tmp/out" "$tmp/err")"
cmp -s "$golden/customers.csv" "$tmp/report-t/customers.csv" || { echo "FAIL --threads 2"; fail=1; }

r=$tmp/report-1
# ---- every promised file -------------------------------------------------------------------
for f in report.html report.md customers.csv campaigns.csv channels.csv summary.json manifest.json; do
  [[ -s "$r/$f" ]] || { echo "FAIL missing $f"; fail=1; }
done
svgs=$(ls "$r"/*.svg | wc -l)
[[ $svgs -ge 5 ]] || { echo "FAIL only $svgs charts"; fail=1; }
for svg in "$r"/*.svg; do
  xmllint --noout "$svg" 2>"$tmp/xml" || { echo "FAIL $(basename "$svg") not well-formed"; cat "$tmp/xml"; fail=1; }
  [[ -s "${svg%.svg}.csv" ]] || { echo "FAIL no data CSV beside $(basename "$svg")"; fail=1; }
done
# report.html is well-formed XML (a stricter check than HTML) ...
xmllint --noout "$r/report.html" 2>"$tmp/xml" || { echo "FAIL report.html not well-formed XML"; head "$tmp/xml"; fail=1; }
# ... and libxml2's HTML parser finds no error in it.  That parser knows HTML 4 only, so it
# names every HTML 5 and SVG element ("Tag main invalid"); those lines are its vocabulary,
# not errors in the file, and are the only messages allowed.
xmllint --html --noout "$r/report.html" 2>"$tmp/html"; rc=$?
check "xmllint --html exit" 0 "$rc"
if grep 'error' "$tmp/html" | grep -v 'HTML parser error : Tag [a-zA-Z]* invalid' | grep -q .; then
  echo "FAIL HTML parser errors:"; grep 'error' "$tmp/html" | grep -v 'Tag [a-zA-Z]* invalid' | head; fail=1
fi
# self-contained: no script, no external resource
if grep -Eiq '<script|<link |src="http|href="http|@import|url\(' "$r/report.html"; then
  echo "FAIL report.html refers to something outside itself"; fail=1
fi
# the sections and the verdict
for heading in Influencers Cascades "Customer value" "Did word of mouth beat advertising?" "Marketing mix" "Data quality and warnings"; do
  grep -q "^## $heading" "$r/report.md" || { echo "FAIL no section '$heading'"; fail=1; }
done
grep -q "Time unit: week" "$r/report.md" || { echo "FAIL time unit not stated"; fail=1; }
grep -Eq '^(Yes, word of mouth beat advertising|No, advertising beat word of mouth)' "$r/report.md" || { echo "FAIL no verdict"; fail=1; }

# ---- columns ---------------------------------------------------------------------------
check "customers.csv header" "customer,acquired,channel,campaign,referrals,referral_weight,pagerank,katz,reach,clv,crv,network_value,rlv,quadrant" "$(head -1 "$r/customers.csv")"
check "campaigns.csv header" "campaign,spend,customers,cac,value_direct,value_network,roi_direct,roi_total,wom_multiplier" "$(head -1 "$r/campaigns.csv")"
check "channels.csv header" "channel,spend,customers,cac,value_direct,value_network,roi_direct,roi_total,wom_multiplier" "$(head -1 "$r/channels.csv")"
check "customers rows" 3001 "$(wc -l < "$r/customers.csv")"

# ---- no NaN or Inf anywhere; JSON parses and has the promised keys ----------------------
if grep -Eiwq 'nan|-?inf(inity)?' "$r"/*.csv "$r"/*.json "$r"/*.md; then
  echo "FAIL NaN or Inf in an output:"; grep -Eiwn 'nan|-?inf(inity)?' "$r"/*.csv "$r"/*.json "$r"/*.md | head; fail=1
fi
python3 - "$r" <<'PY' || fail=1
import json, sys, os
r = sys.argv[1]
s = json.load(open(os.path.join(r, "summary.json")))
m = json.load(open(os.path.join(r, "manifest.json")))
bad = []
for k in ("r", "alpha", "a", "b", "loglik"):
    if not isinstance(s["models"]["bgnbd"].get(k), float): bad.append("models.bgnbd." + k)
for k in ("p", "q", "v"):
    if not isinstance(s["models"]["gamma_gamma"].get(k), float): bad.append("models.gamma_gamma." + k)
if not s["models"]["mix"]["channels"]: bad.append("models.mix.channels")
if s["roi"]["word_of_mouth_beat_advertising"] not in (True, False): bad.append("verdict")
for k in ("version", "config", "inputs", "seed", "warnings", "stages"): 
    if k not in m: bad.append("manifest." + k)
for k in ("load", "graph", "value", "centrality", "referral", "roi", "mix", "write"):
    if not isinstance(m["stages"].get(k), float): bad.append("manifest.stages." + k)
for k in ("customers", "referrals", "transactions", "spend"):
    i = m["inputs"][k]
    if i["bytes"] != os.path.getsize(i["path"]) or len(i["xxh3_64"]) != 16: bad.append("manifest.inputs." + k)
if m["config"]["value"]["model"] != "bgnbd": bad.append("manifest.config")
if "stages" in s or "seconds" in s: bad.append("timings in summary.json")
if bad:
    print("FAIL json keys:", ", ".join(bad)); sys.exit(1)
PY
# the manifest's checksum is XXH3-64 of the file (checked when xxhsum is installed)
if command -v xxhsum >/dev/null && xxhsum -H3 /dev/null >/dev/null 2>&1; then
  want=$(xxhsum -H3 "$src/datasets/sample/referrals.csv" | awk '{print $1}' | sed 's/^XXH3_//')
  got=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["referrals"]["xxh3_64"])' "$r/manifest.json")
  check "xxh3 checksum" "$want" "$got"
fi

# ---- graph export --------------------------------------------------------------------------
mkdir -p "$tmp/gx"
cp "$src"/datasets/sample/*.csv "$tmp/gx/"
for kind in graphml gexf; do
  # analysis.yaml ends inside its report: section
  { cat "$config"; printf '  graph_export: %s\n' "$kind"; } > "$tmp/gx/$kind.yaml"
  check "export $kind" 0 "$(status "$refnet" report "$tmp/gx/$kind.yaml" --quiet --out "$tmp/gx/out-$kind")"
  xmllint --noout "$tmp/gx/out-$kind/graph.$kind" || { echo "FAIL graph.$kind not well-formed"; fail=1; }
  edges=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["graph"]["edges"])' "$golden/summary.json")
  check "$kind nodes" 3000 "$(grep -c '<node ' "$tmp/gx/out-$kind/graph.$kind")"
  check "$kind edges" "$edges" "$(grep -c '<edge ' "$tmp/gx/out-$kind/graph.$kind")"
done

# ---- report.formats: only what is asked for (and always the manifest) ----------------------
{ grep -v '^  formats:' "$config"; printf '  formats: [csv, json]\n'; } > "$tmp/gx/formats.yaml"
check "formats run" 0 "$(status "$refnet" report "$tmp/gx/formats.yaml" --quiet --out "$tmp/gx/formats")"
check "formats files" "campaigns.csv channels.csv customers.csv manifest.json summary.json" "$(cd "$tmp/gx/formats" && echo *)"

# ---- a .rnb snapshot as inputs.referrals: the same graph, so the same centrality -------------
mkdir -p "$tmp/rnb"
cp "$src"/datasets/sample/{customers,transactions,spend}.csv "$tmp/rnb/"
"$refnet" convert "$src/datasets/sample/referrals.csv" -o "$tmp/rnb/referrals.rnb" >/dev/null 2>&1 || { echo "FAIL convert"; fail=1; }
sed 's/referrals: referrals.csv/referrals: referrals.rnb/' "$config" > "$tmp/rnb/analysis.yaml"
check "rnb run" 0 "$(status "$refnet" report "$tmp/rnb/analysis.yaml" --quiet --out "$tmp/rnb/out")"
python3 - "$tmp/rnb/out/customers.csv" "$golden/customers.csv" "$tmp/rnb/out/manifest.json" <<'PY' || fail=1
import csv, json, sys
got = list(csv.DictReader(open(sys.argv[1], newline="")))
want = list(csv.DictReader(open(sys.argv[2], newline="")))
cols = ["customer", "acquired", "channel", "campaign", "referrals", "referral_weight", "pagerank", "katz", "reach"]
if len(got) != len(want) or any(g[c] != w[c] for g, w in zip(got, want) for c in cols):
    print("FAIL .rnb centrality differs from the CSV run"); sys.exit(1)
if json.load(open(sys.argv[3]))["inputs"]["referrals"]["format"] != "rnb":
    print("FAIL manifest format"); sys.exit(1)
PY

# ---- failures: exit 65 at file:line:column, no folder, an existing report untouched -------
mkdir -p "$tmp/bad"
cp "$src"/datasets/sample/*.csv "$src/datasets/sample/analysis.yaml" "$tmp/bad/"
sed -i '5s/.*/C0004,2024-01-40,12.50/' "$tmp/bad/transactions.csv"
check "bad row exit" 65 "$(status "$refnet" report "$tmp/bad/analysis.yaml" --out "$tmp/bad/fresh")"
grep -q "transactions.csv:5:[0-9]*: column 'date'" "$tmp/err" || { echo "FAIL bad row message"; cat "$tmp/err"; fail=1; }
[[ ! -e "$tmp/bad/fresh" ]] || { echo "FAIL a failed run left a report folder"; fail=1; }
ls "$tmp/bad" | grep -q tmp- && { echo "FAIL a failed run left a temporary folder"; fail=1; }
cp -r "$r" "$tmp/bad/existing"
check "bad row over existing" 65 "$(status "$refnet" report "$tmp/bad/analysis.yaml" --out "$tmp/bad/existing")"
diff -r "$r" "$tmp/bad/existing" >/dev/null || { echo "FAIL a failed run changed an existing report"; fail=1; }
# a folder that is not a report is never replaced
mkdir -p "$tmp/notreport"; echo keep > "$tmp/notreport/file.txt"
check "not a report folder" 73 "$(status "$refnet" report "$config" --out "$tmp/notreport")"
check "kept" keep "$(cat "$tmp/notreport/file.txt")"
# missing input 66, bad configuration 78, usage 64
printf 'inputs:\n  referrals: nowhere.csv\n' > "$tmp/missing.yaml"
check "missing input" 66 "$(status "$refnet" report "$tmp/missing.yaml" --out "$tmp/m")"
printf 'inputs:\n  referrals: x.csv\nvalue:\n  modle: bgnbd\n' > "$tmp/badkey.yaml"
check "bad key" 78 "$(status "$refnet" report "$tmp/badkey.yaml")"
grep -q "badkey.yaml:4:3: value.modle" "$tmp/err" || { echo "FAIL bad key position"; cat "$tmp/err"; fail=1; }
# the closing line names the report's main file among the formats written
mkdir -p "$tmp/mdonly"; cp "$src"/datasets/sample/referrals.csv "$tmp/mdonly/"
printf 'inputs:\n  referrals: referrals.csv\nreport:\n  formats: [json, md]\n' > "$tmp/mdonly/a.yaml"
check "md and json only" 0 "$(status "$refnet" report "$tmp/mdonly/a.yaml" --out "$tmp/mdonly/r")"
grep -q "Report written to $tmp/mdonly/r/report.md\." "$tmp/out" || { echo "FAIL summary line names report.md"; cat "$tmp/out"; fail=1; }
[[ ! -e "$tmp/mdonly/r/report.html" ]] || { echo "FAIL html written though not asked"; fail=1; }
check "usage" 64 "$(status "$refnet" report a.yaml b.yaml)"
check "bad threads" 64 "$(status "$refnet" report --threads zero)"
check "help" 0 "$(status "$refnet" report --help)"
exit $fail
