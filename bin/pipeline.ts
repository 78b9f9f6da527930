/**
 * The bundled CLI's entry (built to dist/pipeline-<hash>.cjs, which bin/pipeline.cjs starts). On the
 * main thread it runs the CLI; in a worker thread it runs the one node it was started for. The test
 * and benchmark fixtures join the users' pipelines only under PIPELINE_FIXTURES=1 (see pipelines/index.ts).
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads"
import { fixtures, pipelines } from "../pipelines/index.ts"
import { main } from "../src/cli/main.ts"
import { serveWorker, type WorkerData } from "../src/Workers.ts"

const version = "0.1.0"

if (isMainThread) {
  main(process.env.PIPELINE_FIXTURES === "1" ? [...pipelines, ...fixtures] : pipelines, { version, workerEntry: new URL(import.meta.url) })
} else {
  void serveWorker(workerData as WorkerData, (m) => parentPort!.postMessage(m))
}
