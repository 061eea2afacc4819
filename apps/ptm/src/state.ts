/** What every screen can reach: the pump link and its last reading, the clinic session, the outbox. */
import { createContext, useContext } from 'react';
import type { Credential } from '@thecal/protocol';
import type { ClinicSession } from './clinic-api.ts';
import type { Outbox } from './outbox.ts';
import type { PumpClock } from './pump-clock.ts';
import type { FullStatus, PatientStatus, PendingBolus, PumpLink } from './pump-link.ts';
import type { Absence } from './travel.ts';

export type Screen = 'home' | 'dose' | 'alarms' | 'symptoms' | 'travel' | 'report' | 'settings';
export const SCREENS: readonly Screen[] = ['home', 'dose', 'alarms', 'symptoms', 'travel', 'report', 'settings'];

export interface PumpReading {
  status: FullStatus;
  patient: PatientStatus;
  /** Phone time the answer arrived. */
  readAtWallMs: number;
}

export interface AppState {
  online: boolean;
  screen: Screen;
  go(screen: Screen): void;
  radioUrl: string;
  setRadioUrl(url: string): void;
  credential: Credential | null;
  link: PumpLink | null;
  /** After pairing: keep the credential and open a link with it (null forgets the pump). */
  adoptCredential(c: Credential | null): void;
  reading: PumpReading | null;
  readError: string | null;
  busyReading: boolean;
  refresh(): Promise<void>;
  clock: PumpClock;
  pending: PendingBolus | null;
  setPending(p: PendingBolus | null): void;
  clinic: ClinicSession | null;
  setClinic(s: ClinicSession | null): void;
  outbox: Outbox;
  outboxCount: number;
  queueForClinic(kind: 'absence' | 'usage-report', id: string, path: string, body: unknown): void;
  absences: (Absence & { sent: boolean })[];
  addAbsence(a: Absence): void;
}

export const AppContext = createContext<AppState | null>(null);
export function useApp(): AppState {
  const s = useContext(AppContext);
  if (s === null) throw new Error('AppContext missing');
  return s;
}

/** Pump-clock ms (the clock of nowMs, atMs, nextAllowedAtMs) to the pump's UTC wall time for display. */
export function pumpUtcOf(reading: PumpReading | null, pumpMs: number): number {
  if (reading === null) return pumpMs;
  return pumpMs + (reading.status.pumpUtcMs - reading.status.nowMs);
}
export function pumpOffsetOf(reading: PumpReading | null): number {
  return reading?.status.utcOffsetMs ?? 0;
}
