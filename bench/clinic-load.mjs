// The clinic bench's load generator, run as its own process (forked by bench/clinic.ts) so that
// autocannon does not share the server's event loop. Input: one JSON message over IPC; output: the
// autocannon result (latency p50/p99, totals) sent back over IPC.
import { createRequire } from 'node:module';

const autocannon = createRequire(import.meta.url)('autocannon');

process.once('message', async (job) => {
  try {
    const opts = {
      url: job.url,
      connections: job.connections,
      duration: job.duration,
      headers: { authorization: `Bearer ${job.token}` },
    };
    if (job.amount !== undefined) { opts.amount = job.amount; delete opts.duration; }
    if (job.overallRate !== undefined) opts.overallRate = job.overallRate;
    if (job.paths !== undefined) {
      let i = 0;
      opts.requests = [{ method: 'GET', setupRequest: (req) => ({ ...req, path: job.paths[i++ % job.paths.length] }) }];
    }
    const r = await autocannon(opts);
    process.send({ ok: true, result: { latency: { p50: r.latency.p50, p99: r.latency.p99, average: r.latency.average }, requests: { total: r.requests.total }, non2xx: r.non2xx, errors: r.errors } }, () => process.exit(0));
  } catch (e) {
    process.send({ ok: false, error: String(e?.stack ?? e) }, () => process.exit(1));
  }
});
