#!/usr/bin/env bash
# Must-show test of the HTML report: 3 simulated models x 2 instruments x 2 conditions, with
# <script> / onerror= payloads planted in a model name and a system prompt. The report must
# render in headless Chromium, make no network request, log nothing to the console, and the
# payloads must not run. Without /usr/bin/chromium the browser part is skipped (SKIP line);
# the static checks of the HTML still run. Files land in $VSC_BUILD/report-test/ (kept out of
# git), including a screenshot, report.png.
set -u
build=${VSC_BUILD:-build}
bin=$build/valscope
work=$build/report-test
fail() { echo "FAIL: $*"; exit 1; }

[ -x "$bin" ] || fail "$bin not built"
# a missing command is a failure, never a skip
if "$bin" report --help 2>&1 | grep -q "unknown command"; then
    fail "$bin has no 'report' command (dispatch line missing in src/cli/main.c)"
fi
rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
work=$(cd "$work" && pwd)

cat >"$work/config.yaml" <<'EOF'
run: mustshow
models:
  - name: sim-benevolent
    backend: sim
    seed: 1
    profile: {benevolence: 1.5, universalism: 1.2, power: -1.5, care: 1.5, fairness: 1.0}
  - name: "sim-achiever<script>document.title='PWNED'</script>"
    backend: sim
    seed: 2
    profile: {power: 1.2, achievement: 1.5, benevolence: -0.5, loyalty: 0.8, authority: 0.5}
  - name: "sim-random<img src=x onerror=\"document.body.appendChild(document.createElement('pwned-marker'))\">"
    backend: sim
    seed: 3
instruments:
  - builtin: schwartz
    repeats: 3
  - builtin: mft
    repeats: 3
conditions:
  baseline: true
  system_prompts:
    formal: "Answer formally.</pre><script>document.title='PWNED2'</script><svg onload=\"document.title='PWNED3'\">"
samples: 1
params: {temperature: 0.7, max_tokens: 16, seed: 1}
EOF

"$bin" run "$work/config.yaml" --store "$work/store.db" >"$work/run.log" 2>&1 ||
    { cat "$work/run.log"; fail "valscope run failed"; }
"$bin" report "$work/store.db" --html "$work/report.html" --csv "$work" --json \
    --targets examples/targets/*.yaml --bootstrap 300 --seed 1 >"$work/report.json" \
    2>"$work/report.err" || { cat "$work/report.err"; fail "valscope report failed"; }
html=$work/report.html

# ---- static checks of the file -----------------------------------------------------------
grep -qi '<script' "$html" && fail "a <script> element is in the HTML"
grep -qiE '<(img|iframe|object|embed|link|svg onload)' "$html" && fail "a loading element is in the HTML"
grep -qiE 'https?://' "$html" && fail "the HTML names an http(s) URL"
grep -oiE '(src|href)="[^"]*"' "$html" | grep -v 'href="#' | grep -q . &&
    fail "the HTML has src= or href= pointing outside the page"
grep -q 'sim-achiever&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;' "$html" ||
    fail "the model-name payload is not shown escaped"
grep -q 'onerror=&quot;document.body.appendChild' "$html" || fail "onerror payload not shown escaped"
grep -q 'Answer formally.&lt;/pre&gt;&lt;script&gt;' "$html" || fail "config payload not escaped"
for f in scores leaderboard alignment drift quality; do
    [ "$(wc -l <"$work/$f.csv")" -gt 1 ] || fail "$f.csv is empty"
done
grep -q '"section": "alignment"' "$work/report.json" || fail "JSON has no alignment rows"
echo "static checks passed"

chrome=/usr/bin/chromium
if [ ! -x "$chrome" ]; then
    echo "SKIP: $chrome not installed (apt-get install chromium); browser checks not run"
    exit 0
fi

# Runs chromium on a file: --dump-dom to $2, stderr log to $3, net log to $4.
render() {
    local ud
    ud=$(mktemp -d)
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$ud" --enable-logging=stderr --v=0 --log-net-log="$4" \
        --dump-dom "file://$1" >"$2" 2>"$3"
    local rc=$?
    rm -rf "$ud"
    return $rc
}
# Requests made by the page have an origin as initiator ("null" for file://); the browser's
# own background traffic says "not an origin".
page_requests() { grep -o '"initiator":"[^"]*"' "$1" | grep -v '"not an origin"'; }
console_lines() { grep -E 'CONSOLE|Uncaught' "$1"; }

# Control: a page that does load and log must be caught, or the checks below prove nothing.
cat >"$work/control.html" <<'EOF'
<!DOCTYPE html><html><head><title>control</title></head><body>
<img src="http://127.0.0.1:9/x.png"><script>console.error("control-error")</script></body></html>
EOF
render "$work/control.html" "$work/control.dom" "$work/control.log" "$work/control.netlog" ||
    fail "chromium failed on the control page"
page_requests "$work/control.netlog" | grep -q . || fail "net log check cannot see page requests"
console_lines "$work/control.log" | grep -q control-error || fail "console check cannot see errors"

# The report, as written and with its Content-Security-Policy removed: escaping alone must
# keep the payloads inert.
sed '/Content-Security-Policy/d' "$html" >"$work/report-nocsp.html"
grep -q 'Content-Security-Policy' "$work/report-nocsp.html" && fail "CSP line not removed"
for page in report report-nocsp; do
    render "$work/$page.html" "$work/$page.dom" "$work/$page.log" "$work/$page.netlog" ||
        fail "chromium failed on $page.html (log: $work/$page.log)"
    dom=$work/$page.dom
    for h in Summary Leaderboard "Schwartz value profiles" "The Schwartz circle" \
        "Other value systems" "Alignment to targets" Drift "Data quality" \
        "Configuration and version"; do
        grep -q "<h2>$h</h2>" "$dom" || fail "$page: heading '$h' not rendered"
    done
    grep -q '<svg' "$dom" || fail "$page: no SVG chart rendered"
    grep -q '<title>valscope report</title>' "$dom" || fail "$page: title changed (script ran?)"
    grep -qi '<pwned-marker' "$dom" && fail "$page: onerror payload ran"
    if page_requests "$work/$page.netlog" | grep -q .; then
        page_requests "$work/$page.netlog" | head -5
        fail "$page: the page made network requests"
    fi
    if console_lines "$work/$page.log" | grep -q .; then
        console_lines "$work/$page.log" | cut -c1-300 | head -5
        fail "$page: console messages"
    fi
done
echo "browser checks passed (rendered, no requests, quiet console, payloads inert)"

ud=$(mktemp -d)
timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$ud" --hide-scrollbars --window-size=1280,4000 \
    --screenshot="$work/report.png" "file://$html" >/dev/null 2>&1
rm -rf "$ud"
[ -s "$work/report.png" ] || fail "no screenshot"
echo "screenshot: $work/report.png"
