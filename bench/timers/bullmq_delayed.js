// bullmq_delayed.js — the BullMQ 5 side of bench/timers: N delayed jobs due
// over SPREAD seconds (from 1 s after the enqueue), one worker, lateness =
// processor start - due (ms, wall clock). Prints p50/p99/max and RESULT lines.
// Usage: node bullmq_delayed.js --port P [--n N] [--spread S] [--modules DIR]
const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith('--') ? a.concat([[v.slice(2), all[i + 1]]]) : a), []));
const path = require('path');
const { Queue, Worker } = require(path.join(args.modules || path.join(__dirname, '../peers/node_modules'), 'bullmq'));
const n = parseInt(args.n || '10000', 10);
const spread = parseFloat(args.spread || '5');
const connection = { host: '127.0.0.1', port: parseInt(args.port, 10) };

(async () => {
  const q = new Queue('lat', { connection });
  await q.obliterate({ force: true }).catch(() => {});
  const late = [];
  let done;
  const finished = new Promise((r) => (done = r));
  const w = new Worker('lat', async (job) => {
    late.push(Date.now() - job.data.due);
    if (late.length === n) done();
  }, { connection, concurrency: 50 });
  await w.waitUntilReady();
  const base = Date.now() + 1000;
  for (let i = 0; i < n; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 500); j++) {
      const due = base + (j * spread * 1000) / n;
      batch.push({ name: 'noop', data: { due }, opts: { delay: Math.max(0, due - Date.now()), removeOnComplete: true } });
    }
    await q.addBulk(batch);
  }
  await finished;
  late.sort((a, b) => a - b);
  const p50 = late[Math.floor(n / 2)], p99 = late[Math.floor(n * 0.99)], max = late[n - 1];
  console.log(`bullmq   redis    ${n} tasks over ${spread} s: lateness p50 ${p50.toFixed(2)} ms  p99 ${p99.toFixed(2)} ms  max ${max.toFixed(2)} ms`);
  console.log(`RESULT bullmq_lateness_p50_ms ${p50}`);
  console.log(`RESULT bullmq_lateness_p99_ms ${p99}`);
  console.log(`RESULT bullmq_lateness_max_ms ${max}`);
  await w.close();
  await q.close();
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
