// Samples what a server allocates under load (docs/benchmarks.md, "Where the bytes go"): loaded
// with `--import`, it starts V8's sampling heap profiler after ALLOCATION_START_S seconds (5),
// keeps it on for ALLOCATION_SECONDS (5) and writes the profile to
// ALLOCATION_PROFILE_DIR/allocations-<pid>.json, with the number of HTTP requests the server
// received meanwhile (Node's `http.server.request.start` diagnostics channel). Unlike `--heap-prof`, which keeps only what is
// still alive at exit, it counts every sampled allocation, including the objects young
// collections reclaimed: the allocation rate, which is what makes the garbage collector work.
// https://chromedevtools.github.io/devtools-protocol/tot/HeapProfiler/#method-startSampling
//
// bench/allocation-summary.mjs reads the profile.
import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const env = process.env;
const directory = env.ALLOCATION_PROFILE_DIR ?? '.';
const startSeconds = Number(env.ALLOCATION_START_S ?? 5);
const seconds = Number(env.ALLOCATION_SECONDS ?? 5);

const session = new Session();
session.connect();
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));

let requests = 0;
subscribe('http.server.request.start', () => requests++);

setTimeout(async () => {
  await post('HeapProfiler.enable');
  // One sample per 4 KiB allocated on average: small enough for objects of a few dozen bytes.
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  const requestsBefore = requests;
  setTimeout(async () => {
    const { profile } = await post('HeapProfiler.stopSampling');
    const file = join(directory, `allocations-${process.pid}.json`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(file, JSON.stringify({ seconds, requests: requests - requestsBefore, profile }));
    process.stderr.write(`allocation profile written to ${file}\n`);
  }, seconds * 1000).unref();
}, startSeconds * 1000).unref();
