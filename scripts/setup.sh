#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running rune: installs the Debian packages, builds
# librune and the tools, builds examples/microspeech into microspeech.rune and runs it on the four
# speech-command recordings in ../shared/testdata, on the interpreter and on AOT.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target rune rune_guest_wasm32
rune=build/tools/rune/rune
data=../shared/testdata
$rune build examples/microspeech/Runefile -o build/microspeech.rune
$rune inspect build/microspeech.rune
for engine in interp aot; do
  for wav in yes no silence noise; do
    printf '%-7s %-8s ' "$engine" "$wav"
    $rune run build/microspeech.rune --sound "$data/${wav}_1000ms.wav" --engine "$engine"
  done
done
echo "rune is at $rune; try '$rune --help'"
