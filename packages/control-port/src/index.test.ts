import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DebriefSchema, FAULT_EXAMPLES, FAULT_KINDS, TruthAnswerSchema, checkAnswer, parseFault } from './index.ts';

describe('control port schemas', () => {
  it('offer one valid example of every fault kind', () => {
    assert.deepEqual(Object.keys(FAULT_EXAMPLES).sort(), [...FAULT_KINDS].sort());
    for (const [kind, fault] of Object.entries(FAULT_EXAMPLES)) {
      const r = parseFault(JSON.parse(JSON.stringify(fault)));
      assert.ok(r.ok, `${kind}: ${r.ok ? '' : r.errors.join('; ')}`);
      assert.equal(r.ok && r.fault.kind, kind);
    }
  });

  it('name every problem of a wrong answer with its path', () => {
    const r = checkAnswer(DebriefSchema, { startMs: 0, nowMs: 'later', timeline: [{ atMs: 1, source: 'rumour', text: 'x' }], expected: [], faults: [] });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.errors.some((e) => e.startsWith('nowMs: ')) && r.errors.some((e) => e.startsWith('timeline.0.source: ')), JSON.stringify(r));
    const t = checkAnswer(TruthAnswerSchema, null);
    assert.ok(!t.ok && t.errors[0]?.startsWith('(answer): '), JSON.stringify(t));
  });
});
