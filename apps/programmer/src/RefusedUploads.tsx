/**
 * Uploads the clinic server refused for good (a 4xx no retry fixes by itself: an unknown pump, a
 * different upload at the same log position): each with the server's reason, to send again once
 * the cause is put right, or to discard after an explicit second click. Never dropped silently.
 */
import { useState } from 'react';
import type { QueuedUpload } from './upload-queue.ts';

export function RefusedUploads(props: { items: QueuedUpload[]; onRetry: (id: string) => void; onDiscard: (id: string) => void }) {
  const [confirming, setConfirming] = useState<string | null>(null);
  if (props.items.length === 0) return null;
  return (
    <details className="refused" data-testid="refused-uploads">
      <summary>Review refused uploads ({props.items.length})</summary>
      <ul>
        {props.items.map((i) => (
          <li key={i.id}>
            <p>
              Pump {i.serial}, session of {new Date(i.createdAtMs).toLocaleString()}: refused after {i.attempts} {i.attempts === 1 ? 'try' : 'tries'}. The server said: <q>{i.lastError ?? 'no reason given'}</q>
            </p>
            {confirming === i.id ? (
              <p role="alert">
                Discard this upload for good? The clinic will not get this session or its report.{' '}
                <button type="button" onClick={() => props.onDiscard(i.id)}>
                  Discard for good
                </button>{' '}
                <button type="button" onClick={() => setConfirming(null)}>
                  Keep it
                </button>
              </p>
            ) : (
              <p>
                <button type="button" onClick={() => props.onRetry(i.id)}>
                  Send again
                </button>{' '}
                <button type="button" onClick={() => setConfirming(i.id)}>
                  Discard…
                </button>
              </p>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}
