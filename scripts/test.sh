#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: set-up first, then the
# tests (unit, conformance, golden images, CLI, property tests).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo test --workspace --locked "$@"
