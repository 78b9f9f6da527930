// Preloaded (`node --require`) into the WASM engine's process by uci.ts. The engine writes each line
// of its output with its own process.stdout.write, and a pipe's write is a system call each: a search
// of a few hundred nodes prints about nine lines. Here the lines written while the engine works are
// gathered and written together once it yields (one write per search), in the order written;
// nothing in them changes, and what is pending is written on exit. (In a profile of the puzzle
// generator, the engine's writes were its largest cost after the search; an ad-hoc check of 1,000
// searches of 200 nodes found the engine's CPU about 5% lower with this file.)
// This file is in no code fingerprint (those follow TypeScript imports): it must never change what
// the engine prints or computes.
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
  if (typeof done === "function") process.nextTick(done, null)
  return true
}
process.on("exit", flush)
