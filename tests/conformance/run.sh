#!/usr/bin/env bash
# Conformance: valscope's openai backend against a real OpenAI-compatible server that no one on
# this project wrote — llama.cpp's own llama-server, built from the same source bundle as the
# llama backend's libraries, serving the tiny model stories260K on 127.0.0.1.
#
# 1. builds llama-server (tests/conformance/build-server.sh; minutes the first time);
# 2. runs the built-in Schwartz questionnaire through the openai backend, in text mode and in
#    logprobs mode, and checks that every cell was answered and that `valscope score` scores;
# 3. runs the same text-mode questionnaire in-process (backend llama, same template, greedy)
#    and checks that both give the same answers: the two paths share llama.cpp but not code.
# usage: tests/conformance/run.sh [BUILD_DIR]   (default build; needs BUILD_DIR/valscope)
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
build=${1:-${VSC_BUILD:-build}}
model=${VSC_CONFORMANCE_MODEL:-../shared/models/stories260K.gguf}
vsc=$build/valscope
fail() { echo "conformance: FAIL: $*" >&2; exit 1; }

[ -x "$vsc" ] || fail "$vsc not built (make BUILD=$build)"
[ -f "$model" ] || { echo "SKIP conformance: $model not found"; exit 77; }
server=$(tests/conformance/build-server.sh | tail -1) || fail "llama-server did not build"
[ -x "$server" ] || fail "llama-server did not build"

work=$(mktemp -d "${TMPDIR:-/tmp}/vsc-conformance.XXXXXX")
server_pid=
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

# A free port: try a few random ones until the server stays up.
for attempt in 1 2 3 4 5; do
    port=$((20000 + (RANDOM % 20000)))
    "$server" -m "$model" --host 127.0.0.1 --port "$port" -c 2048 -np 1 -t 1 -fa auto \
        --chat-template chatml --no-webui >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1; then break 2; fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=
done
[ -n "$server_pid" ] || { tail -20 "$work/server.log" >&2; fail "llama-server did not start"; }
echo "conformance: llama-server $("$server" --version 2>&1 | grep -m1 version) on port $port"

abs_model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
cat >"$work/conf.yaml" <<YAML
store: $work/conf.db
models:
  - name: served
    backend: openai
    base_url: http://127.0.0.1:$port/v1
    model: stories260K
    concurrency: 1
  - name: inproc
    backend: llama
    model_path: $abs_model
    chat_template: chatml
    n_ctx: 2048
    threads: 1
instruments:
  - builtin: schwartz
samples: 1
params: {temperature: 0, max_tokens: 8, seed: 1}
YAML
cat >"$work/logprobs.yaml" <<YAML
store: $work/lp.db
models:
  - name: served
    backend: openai
    base_url: http://127.0.0.1:$port/v1
    model: stories260K
    concurrency: 1
instruments:
  - builtin: schwartz
    answer_mode: logprobs
samples: 1
params: {temperature: 0, max_tokens: 1, seed: 1}
YAML

"$vsc" run "$work/conf.yaml" >"$work/run.log" 2>&1 || { cat "$work/run.log"; fail "text-mode run"; }
"$vsc" run "$work/logprobs.yaml" >"$work/lp.log" 2>&1 || { cat "$work/lp.log"; fail "logprobs run"; }
grep -h '^run ' "$work/run.log" "$work/lp.log"
"$vsc" export "$work/conf.db" --format jsonl >"$work/answers.jsonl" || fail "export"
"$vsc" export "$work/lp.db" --format jsonl >"$work/lp.jsonl" || fail "export (logprobs)"
"$vsc" score "$work/lp.db" >"$work/score.txt" 2>&1 || { cat "$work/score.txt"; fail "score"; }

python3 - "$work/answers.jsonl" "$work/lp.jsonl" <<'PY' || fail "answers"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
lp = [json.loads(l) for l in open(sys.argv[2])]
served = {r["item"]: r for r in rows if r["model"] == "served"}
inproc = {r["item"]: r for r in rows if r["model"] == "inproc"}
assert len(served) == 60 and len(inproc) == 60, (len(served), len(inproc))
bad = [r for r in rows + lp if r["status"] != "ok"]
assert not bad, "not ok: %s" % bad[:3]
assert all(r["http_status"] == 200 for r in served.values())
assert len(lp) == 60
same = sum(served[i]["text"] == inproc[i]["text"] for i in served)
print("conformance: 120 text answers + 60 logprob answers ok; in-process = server on %d/60 "
      "greedy answers" % same)
# Same engine, same template, greedy: the texts must agree (a few may differ where two tokens
# tie within float noise between the two builds).
assert same >= 57, "in-process and server answers differ on %d items" % (60 - same)
PY
echo "conformance: ok"
