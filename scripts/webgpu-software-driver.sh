#!/bin/sh
# Installs a software WebGPU driver for tests on machines without a GPU (CI runs it as root on Debian 12).
# Dawn (the npm package `webgpu`) needs the Vulkan loader and, for core WebGPU, a Vulkan driver it
# accepts: bookworm's own lavapipe (Mesa 22.3.6) is refused ("shaderUniform*ArrayDynamicIndexing
# required"), Mesa 25's from bookworm-backports works. That one package is downloaded with apt-get's own
# options into a private folder and only its lavapipe library is kept there (dpkg -x): the machine's apt
# sources and installed Mesa stay as they were. Its libraries (and the stock GL ES fallback, llvmpipe
# through surfaceless EGL) come from the machine's own sources: run `apt-get update` first on a fresh one.
# Prints the ICD file to put in VK_ICD_FILENAMES. Usage: webgpu-software-driver.sh [DIR] (default .webgpu-driver)
set -eu
D=$(mkdir -p "${1:-.webgpu-driver}" && cd "${1:-.webgpu-driver}" && pwd)
lib="$D/libvulkan_lvp.so"
if [ ! -f "$D/lvp.json" ]; then
  mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/root"
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$D/sources.list"
  O="-o Dir::State::Lists=$D/lists -o Dir::Etc::SourceList=$D/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::Cache=$D/cache -o Debug::NoLocking=1"
  apt-get $O update -qq
  (cd "$D" && apt-get $O download -qq mesa-vulkan-drivers 2>/dev/null)
  deb=$(ls "$D"/mesa-vulkan-drivers_*.deb)
  # what it links against, by name from the machine's own sources (bookworm's versions serve lavapipe)
  deps=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/(.*)//; s/|.*//; s/ //g' | grep -v '^$')
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $deps libegl1 libegl-mesa0 libgl1-mesa-dri >/dev/null
  dpkg -x "$deb" "$D/root"
  mv "$D/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$lib"
  rm -rf "$D/lists" "$D/cache" "$D/root" "$D"/*.deb "$D/sources.list"
  # the ICD file the package ships names its library by a system path: point it at ours
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$lib" > "$D/lvp.json"
fi
if ldd "$lib" | grep 'not found' >&2; then echo "lavapipe cannot load: libraries missing (above)" >&2; exit 1; fi
echo "$D/lvp.json"
