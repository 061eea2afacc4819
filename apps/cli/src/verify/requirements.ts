/**
 * Traceability: each safety (DOMAIN section 4) and security (section 5) requirement, and the tests
 * that check it. The only hand-maintained list; `npm run verify` prints it as a table and
 * requirements.test.ts proves every test named here exists (file and exact test name).
 * Paths are relative to the repository root; `test` is the exact it()/describe() name.
 */
export interface TestRef {
  file: string;
  test: string;
}
export interface Requirement {
  id: string;
  section: 'safety' | 'security';
  text: string;
  tests: readonly TestRef[];
}

const core = (file: string, test: string): TestRef => ({ file: `packages/pump-core/src/${file}`, test });
const proto = (file: string, test: string): TestRef => ({ file: `packages/protocol/src/${file}`, test });
const clinic = (file: string, test: string): TestRef => ({ file: `apps/clinic-server/src/${file}`, test });

export const REQUIREMENTS: readonly Requirement[] = [
  {
    id: 'SAF-1',
    section: 'safety',
    text: 'No patient bolus inside the lockout; lockout is never 0.',
    tests: [
      core('pump.property.test.ts', 'no bolus inside the lockout, never more than the allowed count overlapping any 24 h, every denial has a reason'),
      core('pump.test.ts', 'is denied inside the lockout with the time it is next allowed, and counted per rolling 24 h'),
      { file: 'packages/sim/src/validate.test.ts', test: 'refuses a zero lockout' },
    ],
  },
  {
    id: 'SAF-2',
    section: 'safety',
    text: 'Max-dose windows count basal delivery too; a bolus that would break the limit is denied; a running clinician bolus is halted.',
    tests: [
      core('pump.property.test.ts', 'in any 24 h window, with basal, flex, patient, clinician boluses and program changes'),
      core('pump.test.ts', 'a clinician bolus that would break the daily maximum with recent delivery is refused'),
      core('pump.test.ts', 'a program whose boluses could exceed the daily maximum is rejected'),
      core('pump.test.ts', 'an offset change that would repeat a high-rate hour is accepted, guarded, and never breaks the maximum'),
    ],
  },
  {
    id: 'SAF-3',
    section: 'safety',
    text: 'Out-of-range programming is rejected with a reason; soft-limit breaches need explicit confirmation and are logged; an unknown drug leaves the pump stopped.',
    tests: [
      core('pump.test.ts', 'hard limits are refused with the path and reason, never clamped'),
      core('pump.test.ts', 'soft limits need an explicit acknowledgement, which is logged'),
      core('pump.test.ts', 'an unknown drug leaves a new pump stopped'),
      core('program.test.ts', 'every issue names a path and explains itself'),
    ],
  },
  {
    id: 'SAF-4',
    section: 'safety',
    text: 'Every clamp or denial records why; the same reason is shown in the apps and reports.',
    tests: [
      core('pump.test.ts', 'is denied when not enabled, when therapy is stopped, and logs every denial'),
      core('pump.test.ts', 'every hard rule on a change set refuses it with its code and path, and changes nothing'),
      { file: 'packages/sim/src/run.test.ts', test: 'records a refused commit with its reason, aborts the session and carries on' },
    ],
  },
  {
    id: 'SAF-5',
    section: 'safety',
    text: 'Uncertain delivery is a real state: every command has an id; its outcome is delivered, partial or unknown, reconciled before any retry.',
    tests: [
      core('pump.test.ts', 'a retried command id returns the first answer and does nothing twice'),
      proto('radio.test.ts', 'tells unknown, in progress, delivered, partially delivered and not delivered apart'),
      proto('radio.test.ts', 'the client asks before it retries, and a retried bolus is given once'),
      { file: 'apps/virtual-pump/src/impairment.test.ts', test: 'over a badly impaired link every answer is still right and a retried bolus is given once' },
    ],
  },
  {
    id: 'SAF-6',
    section: 'safety',
    text: 'Empty- and low-reservoir alarms; no-flow (occlusion / stall) detection time stated as a function of rate.',
    tests: [
      core('pump.test.ts', 'raises low before empty, stops when empty, never goes negative, and records what was not delivered'),
      core('pump.property.test.ts', 'delivery never exceeds what was filled, the reservoir is never negative, and low always precedes empty'),
      core('hardware-faults.test.ts', 'property: nothing is delivered while stalled, the pump notices within one stroke period, and it resumes exactly at recovery'),
      { file: 'apps/cli/src/faults/fault-table.test.ts', test: 'each sampled row: the fault is detected by the component the table names, within the time it states' },
    ],
  },
  {
    id: 'SAF-7',
    section: 'safety',
    text: 'Stored settings are CRC-checked; A/B copies so a power loss mid-write leaves old or new; self-test at start-up; any unmasked fault -> alarm, safe state, log.',
    tests: [
      core('persistence.test.ts', 'leaves the old or the new settings, never a mix, and loses no committed log record'),
      core('persistence.test.ts', 'a corrupted settings bank is detected at start-up: the other copy is used and the memory alarm raised'),
      core('persistence.test.ts', 'both banks corrupted: safe state with a critical memory alarm, nothing delivered'),
      core('nvm/settings-bank.test.ts', 'survives a power cut at every byte of a sequence of writes (sweep)'),
      { file: 'apps/cli/src/verify/power-loss-sweep.test.ts', test: 'random sessions cut at every write index keep the old or the new settings and every committed record' },
    ],
  },
  {
    id: 'SAF-8',
    section: 'safety',
    text: 'Logs are time-stamped, append-only, bounded, oldest overwritten first; they survive resets.',
    tests: [
      core('ring-log.test.ts', 'keeps the newest `capacity` records in sequence order, overwriting the oldest first'),
      core('nvm/log-store.test.ts', 'loses no committed record across repeated random crashes (property)'),
      core('persistence.test.ts', 'a restored pump keeps delivering its program and keeps its logs'),
    ],
  },
  {
    id: 'SAF-9',
    section: 'safety',
    text: 'Time: schedules with their time zone, UTC + offset + sequence in logs, explicit clock changes, 23- and 25-hour days.',
    tests: [
      core('pump.test.ts', 'a 23-hour day (spring forward at 02:00) skips the 02:00-03:00 step and logs the change'),
      core('pump.test.ts', 'a 25-hour day (fall back at 03:00) repeats the 02:00-03:00 step'),
      core('pump.test.ts', 'a clock correction is an explicit logged event and moves the schedule'),
      core('pump.test.ts', 'refuses time going backwards and bad offsets with a reason'),
    ],
  },
  {
    id: 'SAF-10',
    section: 'safety',
    text: 'When the link to the programmer or app is lost, the pump keeps running its last valid program.',
    tests: [
      proto('radio.test.ts', 'losing the link changes nothing: the pump keeps delivering its committed program'),
      { file: 'apps/virtual-pump/src/e2e.test.ts', test: 'pairs only after the magnet, interrogates, changes a program, survives losing the link mid-commit, and resumes after a restart' },
      core('pump.test.ts', 'the running program keeps running until commit; abort changes nothing'),
    ],
  },
  {
    id: 'SEC-1',
    section: 'security',
    text: 'Authenticated and encrypted messages; mutual authentication per session.',
    tests: [
      proto('radio.test.ts', 'opens a mutually authenticated session in one round trip'),
      proto('radio.test.ts', 'refuses a wrong key, an unknown and a revoked credential with the same answer, and logs each'),
      proto('vectors.test.ts', 'every recorded frame decodes, and DATA frames decrypt to their recorded meaning with the recorded keys'),
    ],
  },
  {
    id: 'SEC-2',
    section: 'security',
    text: 'An attacker who alters, drops and replays packets: nonces / counters against replay; altered frames rejected.',
    tests: [
      proto('radio.test.ts', 'rejects every replayed frame, changes nothing, and counts each in the security log'),
      proto('radio.test.ts', 'rejects frames that arrive after a later one (reordered)'),
      proto('radio.test.ts', 'rejects every truncation and every single-bit flip, without moving the session counter'),
      proto('radio.test.ts', 'notices a replayed HELLO, and a client never accepts a pump that does not hold the credential'),
    ],
  },
  {
    id: 'SEC-3',
    section: 'security',
    text: 'Limited session length.',
    tests: [
      proto('radio.test.ts', 'time out when idle (in link time, whatever the pump clock does)'),
      proto('radio.test.ts', 'end after their maximum lifetime even when busy'),
      clinic('auth.test.ts', 'expires sessions after their lifetime'),
    ],
  },
  {
    id: 'SEC-4',
    section: 'security',
    text: 'A physical signal of intent (proximity) to pair.',
    tests: [
      proto('radio.test.ts', 'refuses pairing without the signal of intent, and logs it'),
      proto('radio.test.ts', 'one magnet event pairs one device, and the window expires'),
    ],
  },
  {
    id: 'SEC-5',
    section: 'security',
    text: 'Least privilege per role (a patient credential never changes a dose); deny by default.',
    tests: [
      proto('radio.test.ts', 'a patient can never change a dose: every dose-changing request is denied'),
      proto('radio.test.ts', 'a patient may silence a non-critical alarm but not a critical one'),
      clinic('security.test.ts', 'role matrix: only the allowed role/endpoint pairs pass; a patient never reaches another patient'),
    ],
  },
  {
    id: 'SEC-6',
    section: 'security',
    text: 'No keys derived from serial numbers.',
    tests: [proto('radio.test.ts', 'gives each pump its own random root key, never derived from the serial')],
  },
  {
    id: 'SEC-7',
    section: 'security',
    text: 'No downgrade.',
    tests: [
      proto('radio.test.ts', 'refuses every frame of another version, saying which versions it speaks'),
      proto('vectors.test.ts', 'a version-0 frame is answered with unsupported-version 1..1'),
    ],
  },
  {
    id: 'SEC-8',
    section: 'security',
    text: 'Validate format and safe range of all input.',
    tests: [
      proto('codec.test.ts', 'refuses hostile input with a precise error'),
      proto('radio.test.ts', 'answers what is wrong and why, and changes nothing'),
      clinic('security.test.ts', 'hostile input on every endpoint: a clear 4xx, nothing stored, the server keeps serving'),
      { file: 'apps/virtual-pump/src/faults/faults.test.ts', test: 'refuses a malformed fault with the path and the reason' },
    ],
  },
  {
    id: 'SEC-9',
    section: 'security',
    text: 'Log security events and export them.',
    tests: [
      proto('radio.test.ts', 'rate-limits what a flood writes into the event log, but keeps the exact count'),
      clinic('records.test.ts', 'writes every read and write of patient data to the audit log'),
      clinic('exports.test.ts', 'exports the session / refill report as a PDF and the worklist and histories as CSV'),
    ],
  },
  {
    id: 'SEC-10',
    section: 'security',
    text: 'Fuzz every external interface.',
    tests: [
      proto('fuzz.test.ts', '100 000 frames: no crash or hang, unauthentic frames change nothing, logs grow, dose limits hold'),
      { file: 'packages/sim/src/run-fuzz.test.ts', test: 'property: runs without crashing, and the report is consistent and well-formed' },
      clinic('security.test.ts', 'hostile input on every endpoint: a clear 4xx, nothing stored, the server keeps serving'),
    ],
  },
];
