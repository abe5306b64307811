#!/usr/bin/env bash
# Installs what weft needs beyond the Rust toolchain on a fresh Debian machine:
# ffmpeg (camera videos in, video out: `weft render`) and tmux (the test that
# drives `weft tui` in a pseudo-terminal). Safe to run again: it installs only what is
# missing.
set -euo pipefail
need=()
command -v ffmpeg >/dev/null 2>&1 || need+=(ffmpeg)
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "setup: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
