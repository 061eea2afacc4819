/**
 * Session uploads wait here (IndexedDB, so they survive a closed tab) until the clinic server takes
 * them. An item leaves the queue only when the server answers 2xx (stored, or already stored: the
 * upload is idempotent by pump serial and log sequence), or a 4xx that no retry can fix (kept
 * aside as "rejected" with the server's reason, never silently dropped).
 */
import { HttpStatusError, currentUser, postJson, postSession } from './clinic-api.ts';

export interface QueuedUpload {
  id: string;
  serial: string;
  createdAtMs: number;
  body: unknown;
  /** The session report, base64 PDF, sent with the upload. */
  reportPdfBase64: string | null;
  attempts: number;
  lastError: string | null;
  state: 'waiting' | 'rejected';
}

const DB = 'thecal-programmer';
const STORE = 'uploads';

function db(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'id' });
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB unavailable'));
  });
}

async function tx<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const d = await db();
  return new Promise<T>((resolve, reject) => {
    const t = d.transaction(STORE, mode);
    const r = f(t.objectStore(STORE));
    t.oncomplete = () => {
      d.close();
      resolve(r.result);
    };
    t.onerror = () => reject(t.error ?? new Error('IndexedDB transaction failed'));
  });
}

export async function enqueue(item: Omit<QueuedUpload, 'id' | 'attempts' | 'lastError' | 'state'>): Promise<QueuedUpload> {
  const q: QueuedUpload = { ...item, id: crypto.randomUUID(), attempts: 0, lastError: null, state: 'waiting' };
  await tx('readwrite', (s) => s.put(q));
  notify();
  return q;
}

export async function listQueue(): Promise<QueuedUpload[]> {
  const all = await tx('readonly', (s) => s.getAll() as IDBRequest<QueuedUpload[]>);
  return all.sort((a, b) => a.createdAtMs - b.createdAtMs);
}

const listeners = new Set<() => void>();
export function onQueueChange(f: () => void): () => void {
  listeners.add(f);
  return () => listeners.delete(f);
}
function notify(): void {
  for (const f of listeners) f();
}

/**
 * A refused upload back in line, for when what the server objected to has been put right (the
 * implant recorded at the clinic, say); it is sent at once.
 */
export async function retryUpload(id: string): Promise<void> {
  const item = (await listQueue()).find((i) => i.id === id);
  if (item === undefined) return;
  await tx('readwrite', (s) => s.put({ ...item, state: 'waiting' as const, lastError: null }));
  notify();
  await flushQueue();
}

/** Drop an upload for good: only ever at the clinician's explicit request, for a refused one. */
export async function discardUpload(id: string): Promise<void> {
  await tx('readwrite', (s) => s.delete(id));
  notify();
}

let flushing: Promise<{ sent: number; waiting: number }> | null = null;
let flushingAgain: Promise<{ sent: number; waiting: number }> | null = null;

/**
 * Send what waits, oldest first; stops at the first network failure (the server is away). One
 * flush runs at a time. Asked while one runs, it runs once more after it: the running one listed
 * the queue before the upload just added, which would otherwise wait for the next timer.
 */
export function flushQueue(): Promise<{ sent: number; waiting: number }> {
  if (flushing !== null) {
    flushingAgain ??= flushing
      .catch(() => undefined)
      .then(() => {
        flushingAgain = null;
        return flushQueue();
      });
    return flushingAgain;
  }
  flushing = doFlush().finally(() => {
    flushing = null;
  });
  return flushing;
}

async function doFlush(): Promise<{ sent: number; waiting: number }> {
  const user = currentUser();
  const items = (await listQueue()).filter((i) => i.state === 'waiting');
  if (user === null) return { sent: 0, waiting: items.length };
  let sent = 0;
  for (const item of items) {
    try {
      const sessionId = await postSession(user.token, item.body);
      if (item.reportPdfBase64 !== null) {
        await postJson(`/api/sessions/${encodeURIComponent(sessionId)}/report`, user.token, { pdfBase64: item.reportPdfBase64 });
      }
      await tx('readwrite', (s) => s.delete(item.id));
      sent += 1;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const permanent = e instanceof HttpStatusError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429;
      await tx('readwrite', (s) => s.put({ ...item, attempts: item.attempts + 1, lastError: msg, state: permanent ? 'rejected' : 'waiting' }));
      notify();
      if (!permanent) break;
    }
  }
  notify();
  return { sent, waiting: (await listQueue()).filter((i) => i.state === 'waiting').length };
}
