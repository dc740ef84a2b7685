#!/usr/bin/env bash
# Installs the Debian packages Rune needs to build, test and compile runes. Idempotent; needs root
# (or sudo) only when something is missing.
set -euo pipefail
pkgs=(
  build-essential cmake ninja-build pkg-config clang lld llvm
  wasi-libc libclang-rt-14-dev-wasm32 libclang-rt-14-dev
  wabt
  libsodium-dev libdw-dev libcurl4-openssl-dev libfyaml-dev libyaml-dev libcjson-dev libcbor-dev libstb-dev libpng-dev libjpeg62-turbo-dev libxnnpack-dev libpthreadpool-dev
  gcc-multilib gnuplot-nox libasound2-dev
  docker-registry skopeo
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
