import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameQueue, PumpClient, deterministicRandom, type Connector } from '@thecal/protocol';
import { makeRig } from '@thecal/protocol/testkit';
import { ImpairedPath, parseImpairment, type ImpairmentSpec } from './impairment.ts';

describe('link impairment', () => {
  it('parses a spec and names what is wrong', () => {
    assert.deepEqual(parseImpairment('drop=0.1,corrupt=0.01,duplicate=0.02,reorder=0.03,delay=40,jitter=5,seed=9'), { drop: 0.1, corrupt: 0.01, duplicate: 0.02, reorder: 0.03, delayMs: 40, jitterMs: 5, seed: 9 });
    assert.throws(() => parseImpairment('drop=2'), /between 0 and 1/);
    assert.throws(() => parseImpairment('lose=0.1'), /unknown name "lose"/);
    assert.throws(() => parseImpairment('drop'), /name=number/);
  });

  it('is repeatable from its seed', () => {
    const run = () => {
      const out: number[] = [];
      const p = new ImpairedPath({ drop: 0.3, corrupt: 0.2, duplicate: 0.2, reorder: 0, delayMs: 0, jitterMs: 0, seed: 5 }, (f) => out.push(f[0] ?? -1, f.length));
      for (let i = 0; i < 200; i++) p.push(Uint8Array.of(i & 0xff, 1, 2, 3));
      return { out, counts: p.counts };
    };
    assert.deepEqual(run(), run());
  });

  it('over a badly impaired link every answer is still right and a retried bolus is given once', async () => {
    const rig = makeRig('impaired');
    const spec: ImpairmentSpec = { drop: 0.15, corrupt: 0.05, duplicate: 0.1, reorder: 0.1, delayMs: 1, jitterMs: 3, seed: 11 };
    const paths: ImpairedPath[] = [];
    let seed = 0;
    const connect: Connector = async () => {
      const queue = new FrameQueue();
      seed += 2;
      const toClient = new ImpairedPath({ ...spec, seed: seed + 1 }, (f) => queue.push(f));
      const toPump = new ImpairedPath({ ...spec, seed }, (f) => {
        const r = rig.send(f);
        if (r.reply !== null) toClient.push(r.reply);
      });
      paths.push(toClient, toPump);
      return { send: (f) => toPump.push(f), next: (t) => queue.next(t), close: () => queue.close('closed'), get closed() { return queue.closed; } };
    };
    const client = new PumpClient({ connect, random: deterministicRandom('impaired-client'), timeoutMs: 60, maxAttempts: 12 });
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect(rig.patient);
        break;
      } catch (e) {
        if (attempt > 10) throw e;
        client.close();
      }
    }
    const bolus = await client.request('patient-bolus');
    assert.equal(bolus.status, 'ok', JSON.stringify(bolus.body));
    for (let i = 0; i < 15; i++) assert.equal((await client.status()).serial, 'TH-TEST');
    assert.equal(rig.pump.therapyLog.all().filter((r) => r.type === 'patient-bolus-started').length, 1);
    const dropped = paths.reduce((n, p) => n + p.counts.dropped + p.counts.corrupted + p.counts.duplicated + p.counts.reordered, 0);
    assert.ok(dropped > 5, `the link was impaired (${dropped} frames touched)`);
    for (const p of paths) p.close();
    client.close();
  });
});
