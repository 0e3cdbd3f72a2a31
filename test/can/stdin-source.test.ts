import t from 'tap';
import { PassThrough } from 'node:stream';
import type { CanFrame, FrameBatch, FrameSink } from '../../src/can/can-frame.js';
import { StdinSource } from '../../src/can/stdin-source.js';
import { createLogger } from '../../src/common/logger.js';

void t.test('the frames of each read are one batch; a line split between reads is whole; bad lines are counted with their numbers', async (t) => {
  const input = new PassThrough();
  const logs: string[] = [];
  const source = new StdinSource(input, createLogger('persona:can', 'info', (line) => logs.push(line)));
  const batches: FrameBatch[] = [];
  const sink: FrameSink = Object.assign(() => t.fail('a batching sink is handed batches'), { batch: (frames: FrameBatch) => void batches.push(frames) });
  const done = source.start(sink);
  input.write('(1.000000) vcan0 123#01\r\n(1.001000) vcan0 123#02\n(1.002000) vc');
  await new Promise((resolve) => setImmediate(resolve));
  input.write('an0 123#03\nnot a frame\n\n(1.003000) vcan0 123#04');
  input.end();
  await done;
  t.same(
    batches.map((b) => b.map((f) => f.data[0])),
    [[1, 2], [3], [4]],
    'one batch per read; the last line needs no newline',
  );
  t.same(batches.flat().map((f) => f.timeUs), [1_000_000, 1_001_000, 1_002_000, 1_003_000]);
  t.equal(source.frames, 4);
  t.equal(source.malformed.count, 1);
  t.match(logs.join('\n'), /stdin:4: expected/);
});

void t.test('stop ends a source waiting for input', async (t) => {
  const input = new PassThrough();
  const source = new StdinSource(input);
  const frames: CanFrame[] = [];
  const done = source.start((f) => frames.push(f));
  input.write('(1.000000) vcan0 123#01\n');
  await new Promise((resolve) => setImmediate(resolve));
  await source.stop();
  await done;
  t.equal(frames.length, 1);
});
