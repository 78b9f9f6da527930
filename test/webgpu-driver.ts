// The WebGPU adapter tests run on: the machine's own, else the software Vulkan driver that
// scripts/webgpu-software-driver.sh unpacks into .webgpu-driver/ (what .ci/run does), else Mesa's GL ES
// llvmpipe through Dawn's opengles backend. Set in the environment, so CLI runs started by a test get it too.
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import { type Adapter, probeAdapter, probeError } from "../stages/ml/backend.ts"

const findAdapter = (): Adapter | undefined => {
  const icd = resolve(".webgpu-driver/lvp.json")
  if (!process.env.VK_ICD_FILENAMES && existsSync(icd)) process.env.VK_ICD_FILENAMES = icd
  const found = probeAdapter()
  if (found || process.env.PIPELINE_WEBGPU_DAWN) return found
  process.env.PIPELINE_WEBGPU_DAWN = "backend=opengles"
  process.env.EGL_PLATFORM ??= "surfaceless"
  return probeAdapter(true)
}

export const adapter = findAdapter()

/** Why webgpu tests skip here, or undefined where they run. */
export const noAdapter = adapter
  ? undefined
  : `no WebGPU adapter (${probeError()}): run scripts/webgpu-software-driver.sh as root on Debian 12 for a software one`
if (noAdapter) console.warn(`webgpu tests skipped: ${noAdapter}`)
