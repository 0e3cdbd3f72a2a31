import t from 'tap';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { SseClient } from '../../src/dashboard/sse-client.js';

/** A response whose socket takes nothing: what it was given stays buffered. */
class StuckResponse extends EventEmitter {
  writableLength = 0;
  written: string[] = [];
  destroyed = false;
  writeHead(): this {
    return this;
  }
  write(text: string): boolean {
    this.written.push(text);
    this.writableLength += Buffer.byteLength(text);
    return false;
  }
  destroy(): void {
    this.destroyed = true;
    this.emit('close');
  }
}

void t.test('a client that does not read is dropped once its buffer is full, not buffered for', (t) => {
  const response = new StuckResponse();
  const closed: string[] = [];
  const client = new SseClient(response as unknown as ServerResponse, 100, (_, why) => closed.push(why));
  const data = JSON.stringify({ text: 'x'.repeat(40) });
  client.send('update', data);
  client.send('update', data);
  t.equal(response.written.length, 3, 'the retry line and two events');
  client.send('update', data);
  t.same(closed, ['slow']);
  t.equal(response.destroyed, true, 'its connection is closed');
  client.send('update', data);
  t.equal(response.written.length, 3, 'nothing more is written');
  t.end();
});

void t.test('a client that goes away is forgotten once', (t) => {
  const response = new StuckResponse();
  const closed: string[] = [];
  new SseClient(response as unknown as ServerResponse, 100, (_, why) => closed.push(why));
  response.emit('close');
  response.emit('close');
  t.same(closed, ['gone']);
  t.end();
});
