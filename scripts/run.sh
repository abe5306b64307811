#!/usr/bin/env bash
# The main job on a fresh machine: set-up, a release build, then `weft dev
# examples/` — open the address it prints (http://127.0.0.1:7878/) in a browser,
# edit any file of examples/ in your editor, and watch every statement's result,
# the picture and the sound follow. Extra arguments go to `weft dev` (such as
# `--port 9000` or `--open`); Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --release --locked --bin weft
exec "${CARGO_TARGET_DIR:-target}/release/weft" dev examples/ "$@"
