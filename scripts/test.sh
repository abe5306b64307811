#!/usr/bin/env bash
# Runs every test of the workspace on a fresh machine: set-up first, then the
# lints (clippy, warnings are errors), then the tests (unit, conformance, golden
# images, CLI, property tests).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The workspace lints (Cargo.toml) are enforced, not just declared.
cargo clippy --workspace --all-targets --locked -- -D warnings
# The set-up installs lavapipe and Neovim, so the GPU tests must find an adapter
# and the editor test must find `nvim` here: a machine where they would skip
# fails instead.
WEFT_REQUIRE_GPU=1 WEFT_REQUIRE_NVIM=1 cargo test --workspace --locked "$@"
