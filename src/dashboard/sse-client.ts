import type { ServerResponse } from 'node:http';

/**
 * One page's Server-Sent Events stream. What the socket has not taken yet is bounded: a
 * client that reads slower than the daemon writes is dropped instead of buffered for, so
 * it costs the daemon nothing but the write it was too slow for.
 */
export class SseClient {
  private closed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClose: (client: SseClient, why: 'gone' | 'slow') => void,
  ) {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      connection: 'keep-alive',
    });
    // How soon the browser reconnects after the daemon went away.
    response.write('retry: 1000\n\n');
    response.once('close', () => this.close('gone'));
  }

  /** Sends one event whose data is already serialised (once for every client). */
  send(event: string, data: string): void {
    if (this.closed) return;
    if (this.response.writableLength > this.maxBufferedBytes) {
      this.close('slow');
      return;
    }
    this.response.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  close(why: 'gone' | 'slow'): void {
    if (this.closed) return;
    this.closed = true;
    this.response.destroy();
    this.onClose(this, why);
  }
}
