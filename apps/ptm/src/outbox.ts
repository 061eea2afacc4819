/**
 * Things for the clinic server (absences, shared reports) wait here until they are sent: kept in
 * localStorage so they survive a closed app, sent in order when online and signed in. Each item
 * carries the app's own id, and the server stores a re-sent id once, so an answer lost after the
 * server stored an item costs nothing but a second send.
 */
export interface OutboxItem {
  id: string;
  kind: 'absence' | 'usage-report';
  /** Path below /api/patients/:patientId/. */
  path: string;
  body: unknown;
  queuedAtMs: number;
  attempts: number;
  lastError: string | null;
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export type Sender = (item: OutboxItem) => Promise<{ ok: true } | { ok: false; retry: boolean; error: string }>;

const KEY = 'thecal-ptm.outbox';

export class Outbox {
  private sending = false;
  constructor(private readonly store: KeyValueStore) {}

  items(): OutboxItem[] {
    try {
      const raw = this.store.getItem(KEY);
      const parsed = raw === null ? [] : (JSON.parse(raw) as unknown);
      return Array.isArray(parsed) ? (parsed as OutboxItem[]) : [];
    } catch {
      return [];
    }
  }

  private save(items: OutboxItem[]): void {
    this.store.setItem(KEY, JSON.stringify(items));
  }

  add(item: Omit<OutboxItem, 'attempts' | 'lastError'>): void {
    const items = this.items();
    if (items.some((i) => i.id === item.id)) return;
    this.save([...items, { ...item, attempts: 0, lastError: null }]);
  }

  /**
   * Send what waits, oldest first. A refusal the server will repeat (4xx other than 401/408/429)
   * stays in the outbox with its error shown rather than being retried forever or dropped silently.
   */
  async flush(send: Sender): Promise<{ sent: number; left: number }> {
    if (this.sending) return { sent: 0, left: this.items().length };
    this.sending = true;
    let sent = 0;
    try {
      for (const item of this.items()) {
        if (item.lastError !== null && item.lastError.startsWith('refused:')) continue;
        const r = await send(item);
        const now = this.items();
        if (r.ok) {
          this.save(now.filter((i) => i.id !== item.id));
          sent += 1;
        } else {
          this.save(now.map((i) => (i.id === item.id ? { ...i, attempts: i.attempts + 1, lastError: r.retry ? r.error : `refused: ${r.error}` } : i)));
          if (r.retry) break;
        }
      }
    } finally {
      this.sending = false;
    }
    return { sent, left: this.items().length };
  }
}

export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
}
