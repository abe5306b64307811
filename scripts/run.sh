#!/usr/bin/env bash
# The main job on a fresh machine: set-up, a release build, then every example
# rendered — its picture at t = 1 s to target/examples/NAME.png and its sound
# (4 s) to target/examples/NAME.wav.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --locked --bin weft
weft="${CARGO_TARGET_DIR:-target}/release/weft"
out="${CARGO_TARGET_DIR:-target}/examples"
mkdir -p "$out"
for f in examples/*.weft; do
  name=$(basename "$f" .weft)
  if grep -qE '^(display|render)\(' "$f"; then
    "$weft" frame "$f" --time 1 -o "$out/$name.png"
    echo "run: $out/$name.png"
  fi
  if grep -qE '^play\(' "$f"; then
    "$weft" audio "$f" --duration 4 -o "$out/$name.wav"
    echo "run: $out/$name.wav"
  fi
done
