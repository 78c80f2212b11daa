/**
 * A worker thread of writePhantom: renders, compresses and writes the
 * subjects it is given, reporting each one back. The cohort is rebuilt from
 * the same options, so every worker draws the same subjects.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { writeSubject, type SubjectJob } from './phantom.js';

const job = workerData as SubjectJob & { indices: number[] };
for (const index of job.indices) {
  const bytes = await writeSubject(job, index);
  parentPort!.postMessage({ index, bytes });
}
