// The SHA-256 of one file, on a worker thread (file-uploads.ts starts one per upload): the
// upload's chunks go while the file is hashed, and only its message waits for the hash. Posts
// the hash, hex, or throws (the worker's 'error').
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

const { path } = workerData as { path: string };
const hash = createHash('sha256');
for await (const piece of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(piece as Buffer);
parentPort?.postMessage(hash.digest('hex'));
