// bench/peers/bullmq.js — BullMQ 5, the peer of Orcastra's Redis and SQLite
// benchmarks, with the same workload: no-op jobs with 64-byte data.
//
//   node bench/peers/bullmq.js --port P --n N [--mode enqueue|process|latency|delayed|failover]
//                              [--concurrency C] [--rate R] [--secs S] [--retention age|remove]
//                              [--cluster P1,P2,... --tag T]
//
// --cluster: a Redis Cluster on those loopback ports (an ioredis Cluster
// connection); the queue's keys then carry the hash tag {T} (BullMQ's prefix),
// so one queue lives in one slot, as BullMQ requires.
// enqueue: addBulk in chunks of 1000. process (default, includes enqueue):
// pre-fill N jobs, then one Worker (concurrency C, default 100) runs them; the
// time is to the last completion. Retention: removeOnComplete {age: 3600}
// (state kept an hour, like Orcastra's state records), or with --retention
// remove removeOnComplete: true (BullMQ's fastest documented setting: the
// job is deleted when it completes). latency: a steady
// stream at R jobs/s for S seconds; enqueue->start p50/p99/max. delayed: N
// jobs due over S seconds; lateness (start - due) p50/p99/max. failover: a
// child process's Worker (defaults) starts a long job and is SIGKILLed; a
// Worker with BullMQ's defaults (lock 30 s, stalled check every 30 s) then
// recovers the stalled job: seconds from the kill to its start.
// Prints `RESULT bullmq_<what> <value>` lines. Install: npm install --prefix
// bench/peers bullmq@5 (node_modules is git-ignored).
'use strict';
const path = require('path');
const { Queue, Worker } = require(path.join(__dirname, 'node_modules', 'bullmq'));

function arg(name, def) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const port = Number(arg('port', 6379));
const n = Number(arg('n', 100000));
const mode = arg('mode', 'process');
const concurrency = Number(arg('concurrency', 100));
const secs = Number(arg('secs', 3));
const retention = arg('retention', 'age');
const clusterPorts = arg('cluster', '');
let connection = { host: '127.0.0.1', port };
if (clusterPorts) {
  const IORedis = require(path.join(__dirname, 'node_modules', 'ioredis'));
  connection = new IORedis.Cluster(
    clusterPorts.split(',').map((p) => ({ host: '127.0.0.1', port: Number(p) })),
    { redisOptions: { maxRetriesPerRequest: null } });
}
const queueOpts = clusterPorts ? { connection, prefix: '{' + arg('tag', 'bull') + '}' } : { connection };
const data = { p: 'x'.repeat(64) };
const jobOpts = {
  removeOnComplete: retention === 'remove' ? true : { age: 3600 },
  removeOnFail: { age: 3600 },
};
const retentionText = retention === 'remove' ? 'removeOnComplete true' : 'removeOnComplete age 3600';
const nowMs = () => performance.timeOrigin + performance.now();

function pct(a, p) {
  if (!a.length) return 0;
  a.sort((x, y) => x - y);
  return a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))];
}

async function fill(q, count) {
  const t0 = nowMs();
  for (let k = 0; k < count; k += 1000) {
    const jobs = [];
    for (let j = k; j < Math.min(count, k + 1000); j++) jobs.push({ name: 'noop', data, opts: jobOpts });
    await q.addBulk(jobs);
  }
  return count / ((nowMs() - t0) / 1000);
}

function runWorker(name, total, onJob) {
  return new Promise((resolve) => {
    let done = 0;
    const t0 = nowMs();
    const w = new Worker(name, async (job) => { if (onJob) onJob(job); }, { ...queueOpts, concurrency });
    w.on('completed', () => {
      if (++done === total) {
        const el = (nowMs() - t0) / 1000;
        w.close().then(() => resolve(total / el));
      }
    });
  });
}

// The killed side of failover: start the job, say so, never finish.
async function failoverChild(name) {
  const w = new Worker(name, async () => {
    process.stdout.write('S\n');
    await new Promise(() => {});
  }, { connection });
  await w.waitUntilReady();
  process.stdout.write('R\n');
}

async function failover(q, name) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [__filename, '--port', String(port), '--mode', 'failover-child',
    '--queue', name], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = (what) => new Promise((resolve) => {
    let buf = '';
    const on = (d) => {
      buf += d;
      if (buf.split('\n').includes(what)) {
        child.stdout.off('data', on);
        resolve();
      }
    };
    child.stdout.on('data', on);
  });
  await seen('R');
  const started = seen('S');
  await q.add('hold', data, jobOpts);
  await started;
  const t0 = nowMs();
  child.kill('SIGKILL');
  const restarted = new Promise((resolve) => {
    const w = new Worker(name, async () => {
      resolve((nowMs() - t0) / 1000);
      w.close(true).catch(() => {});
    }, { connection });
  });
  return restarted;
}

async function main() {
  if (mode === 'failover-child') return failoverChild(arg('queue', 'bench'));
  const name = 'bench-' + process.pid;
  const q = new Queue(name, queueOpts);
  await q.waitUntilReady();
  if (mode === 'enqueue' || mode === 'process') {
    const enq = await fill(q, n);
    console.log(`bullmq: ${n} jobs addBulk(1000): ${enq.toFixed(0)}/s`);
    console.log(`RESULT bullmq_enqueue_per_s ${enq.toFixed(0)}`);
    if (mode === 'process') {
      const proc = await runWorker(name, n);
      console.log(`bullmq: processed ${n} (concurrency ${concurrency}, ${retentionText}): ${proc.toFixed(0)}/s`);
      console.log(`RESULT bullmq_process_per_s ${proc.toFixed(0)}`);
    }
  } else if (mode === 'latency') {
    const rate = Number(arg('rate', 5000));
    const total = Math.floor(rate * secs);
    const lat = [];
    const done = runWorker(name, total, (job) => lat.push(nowMs() - job.data.t));
    const start = nowMs();
    let sent = 0;
    while (sent < total) {
      const due = Math.min(total, Math.floor(((nowMs() - start) / 1000) * rate));
      const adds = [];
      for (; sent < due; sent++) adds.push(q.add('noop', { p: data.p, t: nowMs() }, jobOpts));
      await Promise.all(adds);
      await new Promise((r) => setTimeout(r, 1));
    }
    await done;
    console.log(`bullmq latency at ${rate}/s: p50 ${pct(lat, 50).toFixed(3)} ms, p99 ${pct(lat, 99).toFixed(3)} ms, max ${pct(lat, 100).toFixed(3)} ms`);
    console.log(`RESULT bullmq_latency_p50_ms ${pct(lat, 50).toFixed(3)}`);
    console.log(`RESULT bullmq_latency_p99_ms ${pct(lat, 99).toFixed(3)}`);
  } else if (mode === 'delayed') {
    const late = [];
    const t0 = nowMs() + 1000;
    const jobs = [];
    for (let k = 0; k < n; k++) {
      const due = t0 + (k * secs * 1000) / n;
      jobs.push({ name: 'noop', data: { due }, opts: { ...jobOpts, delay: due - nowMs() } });
    }
    for (let k = 0; k < jobs.length; k += 1000) await q.addBulk(jobs.slice(k, k + 1000));
    await runWorker(name, n, (job) => late.push(nowMs() - job.data.due));
    console.log(`bullmq delayed lateness: p50 ${pct(late, 50).toFixed(3)} ms, p99 ${pct(late, 99).toFixed(3)} ms, max ${pct(late, 100).toFixed(3)} ms`);
    console.log(`RESULT bullmq_lateness_p50_ms ${pct(late, 50).toFixed(3)}`);
    console.log(`RESULT bullmq_lateness_p99_ms ${pct(late, 99).toFixed(3)}`);
  } else if (mode === 'failover') {
    const s = await failover(q, name);
    console.log(`bullmq failover: SIGKILLed worker's job restarted after ${s.toFixed(3)} s (default lock and stalled check)`);
    console.log(`RESULT bullmq_failover_s ${s.toFixed(3)}`);
  } else {
    console.error(`bullmq.js: unknown mode ${mode}`);
    process.exitCode = 2;
  }
  await q.obliterate({ force: true }).catch(() => {});
  await q.close();
  if (clusterPorts) await connection.quit();
}

main().catch((e) => {
  console.error('bullmq.js:', e.message);
  process.exit(1);
});
