/**
 * Collecting a graph: walks the nodes a pipeline's build returns (any nesting of arrays and
 * records) and their upstream, without recursion, and collapses identical nodes (same stage, params
 * and inputs) into one spec with aliases, so sweeps share work. A cycle or two different nodes under
 * one id end the walk with an error naming them; `Pipeline.validate` checks the rest.
 */
import { Result } from "effect"
import { InvalidParams, InvalidPipeline, messageOf } from "./Errors.ts"
import { canonicalJson } from "./Key.ts"
import type { NodeSpec, Targets, Wire } from "./Pipeline.ts"
import type { NodeRef, Output, Ports } from "./Stage.ts"

const errorText = (e: unknown) => messageOf(e).replace(/\n\s*/g, " ")

/**
 * Walks the nodes reachable from `targets` and collapses identical ones. With `out`, `out.visited`
 * is set to the nodes the walk reached (to tell which nodes a build made but did not return).
 */
export const collect = (
  pipeline: string,
  targets: Targets,
  out?: { visited?: ReadonlySet<NodeRef<Ports>> | ReadonlyMap<NodeRef<Ports>, number> }
): Result.Result<ReadonlyArray<NodeSpec>, InvalidPipeline | InvalidParams> => {
  // Identical nodes share a signature: stage, params and the signatures of their inputs. Signatures
  // are numbered as they are first seen, so a node's signature text names its inputs by number and
  // stays short however deep the graph (nothing here is stored, so nothing needs hashing).
  const sigOf = new Map<NodeRef<Ports>, number>()
  if (out) out.visited = sigOf
  const sigNumbers = new Map<string, number>()
  const specs: Array<NodeSpec & { aliases: Array<string> }> = [] // by signature number
  const idToSig = new Map<string, number>()
  const fail = (message: string) => {
    throw new InvalidPipeline({ pipeline, message })
  }

  const isOutput = (o: unknown): o is Output<unknown> => !!o && typeof o === "object" && "source" in o
  /** The upstream nodes of `node` that have no signature yet. */
  const pendingOf = (node: NodeRef<Ports>): Array<NodeRef<Ports>> => {
    const pending: Array<NodeRef<Ports>> = []
    const see = (o: unknown) => {
      if (isOutput(o) && !("ref" in o.source) && !sigOf.has(o.source as NodeRef<Ports>)) pending.push(o.source as NodeRef<Ports>)
    }
    for (const port in node.inputs) {
      const o = (node.inputs as Record<string, unknown>)[port]
      if (Array.isArray(o)) for (const x of o) see(x)
      else see(o)
    }
    return pending
  }

  /** Signature of a node whose upstream all have signatures. */
  const admit = (node: NodeRef<Ports>): void => {
    const inputs: Record<string, Wire> = {}
    const inputSigs: Record<string, string> = {}
    const wire = (port: string, out: unknown) => {
      if (!isOutput(out)) fail(`node '${node.id}' input '${port}' is not an output of another node`)
      const o = out as Output<unknown>
      if ("ref" in o.source) {
        inputs[port] = { node: o.source.ref, port: o.port }
        inputSigs[port] = `ref ${JSON.stringify([o.source.ref, o.port])}`
      } else {
        const upSig = sigOf.get(o.source)!
        inputs[port] = { node: specs[upSig]!.id, port: o.port }
        inputSigs[port] = `${upSig}.${o.port}`
      }
    }
    for (const port in node.inputs) {
      const out = (node.inputs as Record<string, unknown>)[port]
      if (Array.isArray(out)) for (let i = 0; i < out.length; i++) wire(`${port}[${i}]`, out[i])
      else wire(port, out)
    }
    let paramsText: string
    try {
      paramsText = canonicalJson(node.params)
    } catch (e) {
      throw new InvalidParams({ pipeline, message: `node '${node.id}': params are not JSON: ${errorText(e)}` })
    }
    const ports = Object.keys(inputSigs)
    if (ports.length > 1) ports.sort()
    const parts: Array<string> = [node.stage.name, paramsText]
    for (const p of ports) parts.push(p, inputSigs[p]!)
    const text = JSON.stringify(parts)
    const known = sigNumbers.get(text)
    if (known !== undefined) {
      sigOf.set(node, known)
      const existing = specs[known]!
      if (existing.id !== node.id && !existing.aliases.includes(node.id)) existing.aliases.push(node.id)
      return
    }
    const sig = specs.length
    sigNumbers.set(text, sig)
    sigOf.set(node, sig)
    const other = idToSig.get(node.id)
    if (other !== undefined) {
      const a = specs[other]!
      fail(
        `duplicate node id '${node.id}': used by two different nodes (stage ${a.stage.name} and stage ${node.stage.name}` +
          `${a.stage.name === node.stage.name ? " with different params or inputs" : ""}); give each an id of its own`
      )
    }
    idToSig.set(node.id, sig)
    specs.push({ id: node.id, stage: node.stage, params: node.params, paramsText, paramsChecked: node.paramsChecked, inputs, aliases: [] })
  }

  // Post-order without recursion: graphs of 100k nodes are deeper than the call stack.
  const visit = (root: NodeRef<Ports>): void => {
    const entered = new Set<NodeRef<Ports>>()
    const stack = [root]
    while (stack.length) {
      const node = stack[stack.length - 1]!
      if (sigOf.has(node)) {
        stack.pop()
        continue
      }
      const pending = pendingOf(node)
      if (pending.length === 0) {
        stack.pop()
        admit(node)
      } else {
        if (entered.has(node)) fail(`cycle through node '${node.id}'`)
        entered.add(node)
        for (let i = pending.length - 1; i >= 0; i--) stack.push(pending[i]!)
      }
    }
  }

  const walk = (t: Targets, where: string): void => {
    if (t === null || typeof t !== "object") fail(`build returned ${t === null ? "null" : typeof t} at ${where || "top level"}; expected nodes`)
    if (Array.isArray(t)) return t.forEach((x, i) => walk(x, `${where}[${i}]`))
    if ("stage" in t && "outputs" in t && typeof (t as NodeRef<Ports>).stage === "function") {
      visit(t as NodeRef<Ports>)
      return
    }
    for (const [k, v] of Object.entries(t)) walk(v as Targets, where ? `${where}.${k}` : k)
  }

  try {
    walk(targets, "")
  } catch (e) {
    if (e instanceof InvalidPipeline || e instanceof InvalidParams) return Result.fail(e)
    throw e
  }
  return Result.succeed(specs)
}
