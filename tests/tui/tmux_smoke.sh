#!/usr/bin/env bash
# Start `uv run perform` for real in a detached tmux session, find the Live screen, open the
# help with '?', close it, quit with 'q', and check the program ended. Exit 0 on success.
#   usage: tests/tui/tmux_smoke.sh [extra perform args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
session="perform-smoke-$$"
log="$(mktemp)"
cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; rm -f "$log"; }
trap cleanup EXIT

wait_for() {  # wait_for TEXT SECONDS
    local deadline=$((SECONDS + $2))
    while ((SECONDS < deadline)); do
        tmux capture-pane -p -t "$session" >"$log" 2>/dev/null || true
        grep -qF -- "$1" "$log" && return 0
        sleep 0.5
    done
    echo "timed out waiting for: $1" >&2
    cat "$log" >&2
    return 1
}

tmux new-session -d -s "$session" -x 140 -y 40 \
    "env COLORTERM=truecolor uv run perform $* ; echo PERFORM-EXITED=\$? ; sleep 30"
wait_for "Engine  Flows  Colour" 60      # the parameter tabs of the Live screen
wait_for "space GO" 10                   # the footer with the show keys
wait_for "steps/s" 30                    # the engine thread reports to the status bar
tmux send-keys -t "$session" '?'
wait_for "perform — keys" 10
tmux send-keys -t "$session" Escape
sleep 0.5
tmux send-keys -t "$session" q
wait_for "PERFORM-EXITED=0" 20
echo "smoke test passed"
