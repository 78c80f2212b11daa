#!/usr/bin/env bash
# Installs Mesa's software Vulkan driver (lavapipe), so that the WebGPU
# backend (Dawn, from the `webgpu` npm package) finds an adapter on a machine
# without a GPU: for the tests and for trying the backend, never for speed.
# Dawn refuses Debian 12's own Mesa 22; bookworm-backports' Mesa 25 works, so
# on Debian 12 the backports suite is added, from the mirror already
# configured. Elsewhere the distribution's mesa-vulkan-drivers is installed.
# Safe to run again. Needs root.
set -euo pipefail

installed_version() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null; }

if version=$(installed_version) && [[ "$version" == 2[5-9].* ]]; then
  echo "lavapipe: mesa-vulkan-drivers $version already installed"
  exit 0
fi

. /etc/os-release
if [[ "${VERSION_CODENAME:-}" != "bookworm" ]]; then
  echo "lavapipe: $PRETTY_NAME is not Debian 12; installing its own mesa-vulkan-drivers" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libvulkan1 mesa-vulkan-drivers
  exit 0
fi

backports=/etc/apt/sources.list.d/bookworm-backports.sources
if [[ ! -f $backports ]]; then
  # The mirror this machine already uses for bookworm (deb822 sources first, then sources.list).
  mirror=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -1 | awk '{print $2}')
  [[ -n "$mirror" ]] || mirror=$(grep -hE '^deb .* bookworm main' /etc/apt/sources.list 2>/dev/null | head -1 | awk '{print $2}')
  if [[ -z "$mirror" ]]; then
    echo "lavapipe: no Debian mirror configured for bookworm; add one to /etc/apt/sources.list.d and run this again" >&2
    exit 1
  fi
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" >"$backports"
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports libvulkan1 mesa-vulkan-drivers
echo "lavapipe: mesa-vulkan-drivers $(installed_version) installed"
