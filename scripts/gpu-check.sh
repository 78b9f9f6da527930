#!/bin/sh
# The GPU check: does the webgpu backend run on this machine's GPU, give wasm's numbers, and how fast
# is training? Needs .gpu-carry/ (`npm run gpu-carry`), and nothing else: no network, no node_modules,
# no Node (a carried one is unpacked when the machine has none of version >= 20). Steps:
#   1. records the GPU driver files: nvidia-smi, the Vulkan ICD and EGL vendor files wherever they are
#      (NVIDIA's may sit outside the standard search paths), the libraries the loaders would open;
#   2. runs scripts/gpu-check.ts (adapter, matMul and training-step parity against wasm, examples/s on
#      webgpu and wasm) with Vulkan as found, then with each NVIDIA ICD file found elsewhere, then with
#      an ICD made from NVIDIA's EGL library (headless machines often lack the GLX one), then on GL ES;
#      it stops at the first hardware adapter (a software one is kept only when nothing better runs);
#   3. times the same training step in the machine's PyTorch (scripts/gpu-check-torch.py), if any.
# Writes $OUT/gpu-check.json ($OUT if set, else ./gpu-check-out) and the logs beside it; exit 0 when
# an attempt passed parity. GPU_CHECK_QUICK=1: small batches (software drivers); GPU_CHECK_PYTHON: the Python
# with PyTorch (default python3); GPU_CHECK_TIMEOUT: seconds per attempt (default 300). Run so far
# only on Mesa's software drivers, never on a GPU.
set -u
R=$(cd "$(dirname "$0")/.." && pwd); C=${GPU_CARRY:-$R/.gpu-carry}; OUT=${OUT:-$PWD/gpu-check-out}
mkdir -p "$OUT"; OUT=$(cd "$OUT" && pwd)
[ -f "$C/gpu-check.mjs" ] || { echo "no $C/gpu-check.mjs: run npm run gpu-carry first" >&2; exit 2; }
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

D="$OUT/drivers.txt"
{
  echo "== nvidia-smi"; nvidia-smi 2>&1 | head -15
  echo "== devices"; ls -l /dev/nvidia* /dev/dri 2>&1 | head -20
  echo "== glibc"; ldd --version 2>&1 | head -1
  echo "== loader libraries (ldconfig)"; ldconfig -p 2>/dev/null | grep -E 'libvulkan\.so|libEGL|libGLX|libGLdispatch|libnvidia-(glcore|eglcore|gpucomp)|libcuda\.so' | head -30
  echo "== ICD and vendor files"
  for f in $(find /usr/share/vulkan /etc/vulkan /usr/local/share/vulkan /usr/share/glvnd /etc/glvnd /usr/share/egl /opt /usr/local/nvidia /usr/lib/x86_64-linux-gnu/nvidia -maxdepth 4 \( -name '*.json' -path '*icd*' -o -name '*.json' -path '*egl*' \) 2>/dev/null); do echo "-- $f"; cat "$f"; echo; done
  echo "== NVIDIA GL/EGL/Vulkan libraries anywhere"; find / -xdev \( -name 'libGLX_nvidia.so*' -o -name 'libEGL_nvidia.so*' -o -name 'libnvidia-glcore.so*' -o -name 'nvidia_icd*.json' \) 2>/dev/null | head -20
  echo "== environment"; env | grep -E '^(NVIDIA|CUDA|LD_LIBRARY_PATH|VK_|EGL_|__EGL|__GLX)' 
} > "$D" 2>&1

NODE=$(command -v node || true)
case "$($NODE --version 2>/dev/null)" in
  v2[0-9]*|v[3-9][0-9]*) ;;
  *) NODE=$(mktemp -d)/node; gzip -dc "$C/node.gz" > "$NODE" && chmod +x "$NODE" ;;
esac
echo "== node: $NODE $($NODE --version)" >> "$D"
# Dawn dlopens libvulkan.so.1 and libEGL.so.1: the machine's if it has them, else the carried ones
ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 ' || LIBS="$C/lib"
ldconfig -p 2>/dev/null | grep -q 'libEGL\.so\.1 ' || LIBS="$C/lib"
[ -n "${LIBS:-}" ] && export LD_LIBRARY_PATH="$C/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

"$NODE" "$C/gpu-check.mjs" ladder > "$OUT/ladder.json"
passed=""; kept=""
attempt() { # name, then environment assignments
  name=$1; shift
  env "$@" timeout "${GPU_CHECK_TIMEOUT:-300}" "$NODE" "$C/gpu-check.mjs" > "$OUT/webgpu-$name.json" 2> "$OUT/webgpu-$name.log"
  rc=$?; echo "attempt $name ($*): rc=$rc" | tee -a "$D"
  [ $rc -eq 0 ] || return 1
  passed=1
  if grep -q '"software":false' "$OUT/webgpu-$name.json"; then kept="$name"; return 0; fi
  [ -n "$kept" ] || kept="$name"
  return 1
}
done_=""
attempt vulkan && done_=1
if [ -z "$done_" ]; then
  for icd in $(find / -xdev -name 'nvidia_icd*.json' 2>/dev/null | head -4); do
    attempt "vulkan-$(basename "$icd" .json)" VK_ICD_FILENAMES="$icd" && { done_=1; break; }
  done
fi
if [ -z "$done_" ]; then
  egl=$(ldconfig -p 2>/dev/null | awk '/libEGL_nvidia\.so\.0 /{print $NF; exit}')
  [ -n "$egl" ] || egl=$(find / -xdev -name 'libEGL_nvidia.so.0' 2>/dev/null | head -1)
  if [ -n "$egl" ]; then
    # the same driver's EGL library also exports the Vulkan ICD entry points
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3.0"}}\n' "$egl" > "$OUT/nvidia-egl-icd.json"
    attempt vulkan-egl-icd VK_ICD_FILENAMES="$OUT/nvidia-egl-icd.json" && done_=1
  fi
fi
if [ -z "$done_" ]; then
  for p in device surfaceless; do attempt "gles-$p" PIPELINE_WEBGPU_DAWN=backend=opengles EGL_PLATFORM=$p && { done_=1; break; }; done
fi

T="$OUT/torch.json"
py=${GPU_CHECK_PYTHON:-$(command -v python3 || command -v python || true)}
if [ -n "$py" ]; then "$py" "$R/scripts/gpu-check-torch.py" < "$OUT/ladder.json" > "$T" 2> "$OUT/torch.log" || echo '{"ok":false,"error":"the PyTorch step failed: see torch.log"}' > "$T"
else echo '{"ok":false,"error":"no python here"}' > "$T"; fi

"$NODE" -e '
const fs = require("node:fs"), [out, kept] = process.argv.slice(1)
const read = (f) => { try { return JSON.parse(fs.readFileSync(f, "utf8")) } catch (e) { return { ok: false, error: String(e.message) } } }
const attempts = fs.readdirSync(out).filter((f) => /^webgpu-.*\.json$/.test(f)).map((f) => ({ name: f.slice(7, -5), ...read(`${out}/${f}`) }))
const best = attempts.find((a) => a.name === kept)
const torch = read(`${out}/torch.json`)
const summary = (best?.members ?? []).map((m) => ({ name: m.name, webgpu: m.webgpu?.examplesPerSecond, wasm: m.wasm?.examplesPerSecond,
  torch: (torch.members ?? []).find((t) => t.name === m.name)?.examplesPerSecond, webgpuOverWasm: +(m.speedup ?? 0).toFixed(2), parity: m.parity?.ok }))
const report = { when: new Date().toISOString(), drivers: fs.readFileSync(`${out}/drivers.txt`, "utf8").split("\n"), used: kept || null,
  adapter: best?.adapter ?? null, summary, webgpu: best ?? null, attempts: attempts.filter((a) => a !== best).map((a) => ({ name: a.name, ok: a.ok, error: a.error, adapter: a.adapter })), torch }
fs.writeFileSync(`${out}/gpu-check.json`, JSON.stringify(report, null, 1) + "\n")
console.log(JSON.stringify({ used: report.used, adapter: report.adapter?.description, summary }, null, 1))
' "$OUT" "$kept"
[ -n "$passed" ]
