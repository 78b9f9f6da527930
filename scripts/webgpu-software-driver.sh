#!/bin/sh
# Installs a software WebGPU driver for tests on machines without a GPU (CI runs it as root on Debian 12).
# Dawn (the npm package `webgpu`) needs the Vulkan loader and, for core WebGPU, a Vulkan driver it
# accepts: bookworm's own lavapipe (Mesa 22.3.6) is refused ("shaderUniform*ArrayDynamicIndexing
# required"), Mesa 25's from bookworm-backports works. That one package is downloaded with apt-get's own
# options into a private folder and unpacked there (dpkg -x): the machine's apt sources and installed
# Mesa stay as they were. Stock packages give the GL ES fallback too (llvmpipe via surfaceless EGL).
# Prints the ICD file to put in VK_ICD_FILENAMES. Usage: webgpu-software-driver.sh [DIR] (default .webgpu-driver)
set -eu
D=$(mkdir -p "${1:-.webgpu-driver}" && cd "${1:-.webgpu-driver}" && pwd)
if ! ldconfig -p | grep -q 'libvulkan\.so\.1 ' || ! ldconfig -p | grep -q 'libEGL_mesa\.so\.0 '; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvulkan1 libegl1 libegl-mesa0 libgl1-mesa-dri >/dev/null
fi
if [ ! -f "$D/lvp.json" ]; then
  mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$D/root"
  echo "deb http://deb.debian.org/debian bookworm-backports main" > "$D/sources.list"
  O="-o Dir::State::Lists=$D/lists -o Dir::Etc::SourceList=$D/sources.list -o Dir::Etc::SourceParts=/dev/null -o Dir::Cache=$D/cache -o Debug::NoLocking=1"
  apt-get $O update -qq
  (cd "$D" && apt-get $O download -qq mesa-vulkan-drivers)
  dpkg -x "$D"/mesa-vulkan-drivers_*.deb "$D/root"
  lib="$D/libvulkan_lvp.so"
  mv "$D/root/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so" "$lib"
  # the ICD file the package ships names its library by absolute system path: point it at ours
  printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.4.305"}}\n' "$lib" > "$D/lvp.json"
  rm -rf "$D/lists" "$D/cache" "$D/root" "$D"/*.deb
fi
echo "$D/lvp.json"
