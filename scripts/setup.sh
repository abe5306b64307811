#!/usr/bin/env bash
# Installs what weft needs beyond the Rust toolchain on a fresh Debian machine:
# ffmpeg (camera videos in, video out: `weft render`), Mesa's Vulkan drivers
# (the GPU visual backend; lavapipe on machines with no GPU), and for the tests
# Chromium, Node.js with npm, vim (the watcher's editor test), Neovim (its LSP
# client drives `weft lsp`), tmux (the test that drives `weft tui` in a
# pseudo-terminal) and the browser tests' one npm package (playwright-core). Safe to run again: it installs only what is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
command -v vim >/dev/null 2>&1 || need+=(vim)
command -v nvim >/dev/null 2>&1 || need+=(neovim)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
# The GPU visual backend: Vulkan's loader and Mesa's drivers, lavapipe included,
# so even a machine without a GPU (CI) draws through the shader path.
for pkg in mesa-vulkan-drivers libvulkan1; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
  echo "setup: installing the browser tests' npm package" >&2
  npm ci --prefix "$root/tests/browser" --no-audit --no-fund >/dev/null
fi
