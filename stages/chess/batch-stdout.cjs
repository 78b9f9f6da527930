// Preloaded (`node --require`) into the WASM engine's process by uci.ts. The engine writes each line
// of its output with its own process.stdout.write, and a pipe's write is a system call each: a search
// of a few hundred nodes prints a dozen `info` lines, so in the puzzle generator the engine spent
// about a fifth of its busy time writing. Here the lines written while the engine works are gathered
// and written together once it yields (one write per search), in the order written; nothing in
// them changes, and what is pending is written on exit.
"use strict"
const write = process.stdout.write.bind(process.stdout)
let pending = ""
let scheduled = false
const flush = () => {
  scheduled = false
  if (pending === "") return
  const text = pending
  pending = ""
  write(text)
}
process.stdout.write = (chunk, encoding, callback) => {
  pending += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString(typeof encoding === "string" ? encoding : "utf8")
  if (!scheduled) {
    scheduled = true
    setImmediate(flush)
  }
  const done = typeof encoding === "function" ? encoding : callback
  if (typeof done === "function") process.nextTick(done)
  return true
}
process.on("exit", flush)
