/**
 * How frames move between a client and a pump, kept apart from the protocol: a `Link` carries
 * whole frames both ways and may be lost at any moment; a `Connector` makes a new one (the client
 * reconnects through it after a loss). Two implementations: WebSocket (browsers' global WebSocket,
 * or the `ws` package in Node, passed in) and an in-memory loopback for tests and benchmarks.
 */

export interface Link {
  send(frame: Uint8Array): void;
  /** The next frame from the pump, or a rejection when the link closes or `timeoutMs` passes. */
  next(timeoutMs: number): Promise<Uint8Array>;
  close(): void;
  readonly closed: boolean;
}
export type Connector = () => Promise<Link>;

export class LinkLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LinkLost';
  }
}

/** Frames waiting to be read, and readers waiting for frames. */
export class FrameQueue {
  private readonly frames: Uint8Array[] = [];
  private waiter: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> } | null = null;
  private closedWith: Error | null = null;

  push(frame: Uint8Array): void {
    if (this.closedWith !== null) return;
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      clearTimeout(w.timer);
      w.resolve(frame);
    } else {
      // A bounded backlog: a flood of frames nobody reads must not grow memory without limit.
      if (this.frames.length >= 256) this.frames.shift();
      this.frames.push(frame);
    }
  }

  close(reason: string): void {
    if (this.closedWith !== null) return;
    this.closedWith = new LinkLost(reason);
    const w = this.waiter;
    this.waiter = null;
    if (w !== null) {
      clearTimeout(w.timer);
      w.reject(this.closedWith);
    }
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  next(timeoutMs: number): Promise<Uint8Array> {
    const f = this.frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    if (this.closedWith !== null) return Promise.reject(this.closedWith);
    if (this.waiter !== null) return Promise.reject(new Error('only one reader at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new LinkLost(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }
}

/** The part of the WebSocket API used here: the browser's WebSocket and `ws` both have it. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;

function asBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data instanceof Uint8Array) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return null;
}

/** One frame per binary WebSocket message. Text messages are not part of the radio link and are ignored. */
export function webSocketConnector(url: string, WebSocketImpl?: WebSocketConstructor, openTimeoutMs = 5_000): Connector {
  return () =>
    new Promise<Link>((resolve, reject) => {
      const Impl = WebSocketImpl ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket;
      if (Impl === undefined) {
        reject(new Error('no WebSocket implementation: pass one (e.g. the "ws" package in Node 20)'));
        return;
      }
      const ws = new Impl(url);
      ws.binaryType = 'arraybuffer';
      const queue = new FrameQueue();
      let opened = false;
      const timer = setTimeout(() => {
        if (!opened) {
          ws.onclose = null;
          ws.close();
          reject(new LinkLost(`could not connect to ${url} within ${openTimeoutMs} ms`));
        }
      }, openTimeoutMs);
      ws.onopen = () => {
        opened = true;
        clearTimeout(timer);
        resolve({
          send: (frame) => {
            if (ws.readyState === OPEN) ws.send(frame);
          },
          next: (t) => queue.next(t),
          close: () => {
            queue.close('closed by the client');
            ws.close();
          },
          get closed() {
            return queue.closed;
          },
        });
      };
      ws.onmessage = (ev) => {
        const b = asBytes(ev.data);
        if (b !== null) queue.push(b);
      };
      ws.onclose = () => {
        clearTimeout(timer);
        queue.close('the link closed');
        if (!opened) reject(new LinkLost(`could not connect to ${url}`));
      };
      ws.onerror = () => {
        /* onclose follows and says so */
      };
    });
}

/** Byte and frame counts of everything a connector's links carried (for benchmarks). */
export interface LinkMeter {
  framesToPump: number;
  framesFromPump: number;
  bytesToPump: number;
  bytesFromPump: number;
}
export function newMeter(): LinkMeter {
  return { framesToPump: 0, framesFromPump: 0, bytesToPump: 0, bytesFromPump: 0 };
}

/**
 * An in-memory link straight into a pump's radio (`answer` returns the reply frame, or null).
 * Replies arrive asynchronously, as on a real link. `meter` counts the bytes on the "air".
 */
export function loopbackConnector(answer: (frame: Uint8Array) => Uint8Array | null, meter: LinkMeter = newMeter()): Connector {
  return async () => {
    const queue = new FrameQueue();
    return {
      send: (frame) => {
        if (queue.closed) return;
        meter.framesToPump += 1;
        meter.bytesToPump += frame.length;
        const reply = answer(frame.slice());
        if (reply !== null) {
          meter.framesFromPump += 1;
          meter.bytesFromPump += reply.length;
          queueMicrotask(() => queue.push(reply));
        }
      },
      next: (t) => queue.next(t),
      close: () => queue.close('closed by the client'),
      get closed() {
        return queue.closed;
      },
    };
  };
}
