import t from 'tap';
import { slowestFiles, wallSeconds } from './slowest-files.js';

void t.test('the slowest test files of the latest run, from tap\'s process records', async (t) => {
  const info = (file: string | undefined, date: string, runtime: number) => JSON.stringify({ ...(file ? { externalID: file } : {}), date, runtime });
  const root = t.testdir({
    test: { 'a.test.ts': '', 'b.test.ts': '', 'c.test.ts': '' },
    dist: { test: { 'c.test.js': '', 'gone.test.js': '' } },
    '.tap': {
      processinfo: {
        '1.json': info('test/a.test.ts', '2026-12-07T04:00:00.000Z', 90_000),
        '2.json': info('test/a.test.ts', '2026-12-07T05:00:00.000Z', 3_000),
        '3.json': info('test/b.test.ts', '2026-12-07T05:00:01.000Z', 12_500),
        '4.json': info('test/gone.test.ts', '2026-12-07T05:00:02.000Z', 99_000),
        '5.json': info(undefined, '2026-12-07T05:00:03.000Z', 50_000),
        '6.json': '{"externalID": "test/b.test.ts", "date": "2026-12-07T06:0',
        '7.json': info('test/c.test.ts', '2026-12-07T04:00:00.000Z', 1_000),
        '8.json': info('dist/test/c.test.js', '2026-12-07T05:00:00.500Z', 7_000),
        '9.json': info('dist/test/gone.test.js', '2026-12-07T05:00:00.500Z', 8_000),
      },
    },
  });
  const runs = slowestFiles(root);
  t.same(runs, [
    { file: 'test/b.test.ts', seconds: 12.5, startedMs: Date.parse('2026-12-07T05:00:01.000Z') },
    { file: 'dist/test/gone.test.js', seconds: 8, startedMs: Date.parse('2026-12-07T05:00:00.500Z') },
    { file: 'test/c.test.ts', seconds: 7, startedMs: Date.parse('2026-12-07T05:00:00.500Z') },
    { file: 'test/a.test.ts', seconds: 3, startedMs: Date.parse('2026-12-07T05:00:00.000Z') },
  ], 'the latest run of each file, a compiled one under its source; removed files, child processes and a half-written record left out');
  t.equal(wallSeconds(runs), 13.5, 'wall time: from the first start to the last end, files in parallel counted once');
  t.same(slowestFiles(t.testdir({})), [], 'no records yet: nothing');
  t.equal(wallSeconds([]), 0);
});
