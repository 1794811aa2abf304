#!/usr/bin/env bash
# Installs what preflight builds against (Debian/Ubuntu), unless already there: the system
# libraries by default, or the packages named as arguments (readme-commands.sh asks for jq).
set -euo pipefail
packages=("$@")
[ ${#packages[@]} -eq 0 ] && packages=(libsimdjson-dev libcsv-dev zlib1g-dev libpcre2-dev pkg-config)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "Installing ${missing[*]}..." >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
