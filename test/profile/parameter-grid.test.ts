import t from 'tap';
import simulatedPvnic from '../../src/backend/simulated-pvnic.json' with { type: 'json' };
import type { DriverInfo } from '../../src/backend/driver-backend.js';
import { gridPoints, MAX_GRID_POINTS, parseSweptParameter } from '../../src/profile/parameter-grid.js';

const pvnic = simulatedPvnic as unknown as DriverInfo;

void t.test('ranges are evenly spaced in the largest unit both ends are whole numbers of', (t) => {
  t.same(parseSweptParameter('interrupt_coalescence_time=0ms..8ms', pvnic).values, [0, 2e6, 4e6, 6e6, 8e6], 'five values by default');
  t.same(parseSweptParameter('interrupt_coalescence_time=0us..200us:3', pvnic).values, [0, 100_000, 200_000]);
  t.same(parseSweptParameter('interrupt_coalescence_time=0ms..1ms:4', pvnic).values, [0, 333_000, 667_000, 1e6], 'a step under a ms: in µs');
  t.same(parseSweptParameter('interrupt_coalescence_time=0s..100ms:3', pvnic).values, [0, 50e6, 100e6]);
  t.same(parseSweptParameter('DMA_buffer_size=16KB..256KB*2', pvnic).values, [16_384, 32_768, 65_536, 131_072, 262_144], 'geometric');
  t.same(parseSweptParameter('DMA_buffer_size=64KB..64KB', pvnic).values, [65_536], 'one value');
  t.end();
});

void t.test('lists take every kind, sets joined by +', (t) => {
  t.same(parseSweptParameter('power_saving_mode=disabled,aggressive', pvnic).values, ['disabled', 'aggressive']);
  t.same(parseSweptParameter('feature_set=tso+gro,rx_checksum', pvnic).values, [['gro', 'tso'], ['rx_checksum']]);
  t.same(parseSweptParameter('interrupt_coalescence_time=0s,500us,1ms', pvnic).values, [0, 500_000, 1e6]);
  t.end();
});

void t.test('a bad --param names itself and what is wrong', (t) => {
  const refused: Array<[string, RegExp]> = [
    ['interrupt_coalescence_time', /expected NAME=VALUES/],
    ['=1ms', /expected NAME=VALUES/],
    ['latency=1ms', /driver pvnic has no parameter latency; it has interrupt_coalescence_time, /],
    ['interrupt_coalescence_time=1ms..0ms', /1ms is above 0ms/],
    ['interrupt_coalescence_time=0ms..2s', /500ms: .*outside 0\.\.100000000ns/],
    ['interrupt_coalescence_time=1.5ms', /"1\.5ms": not a duration/],
    ['interrupt_coalescence_time=0ms..8ms:0', /number of steps must be 1 to 1000/],
    ['DMA_buffer_size=0B..64KB*2', /cannot start at 0/],
    ['DMA_buffer_size=16KB..64KB*1', /factor must be 2 or more/],
    ['DMA_buffer_size=16KB..64KB/2', /"64KB\/2": not a size/],
    ['power_saving_mode=turbo', /turbo: .*must be one of disabled, balanced, aggressive/],
    ['feature_set=gro+warp', /unsupported: warp/],
    ['power_saving_mode=disabled,', /an empty value/],
  ];
  for (const [spec, message] of refused) t.throws(() => parseSweptParameter(spec, pvnic), { code: 'E_PARAM_SPEC', message: new RegExp(`^--param ${spec.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*${message.source}`) }, spec);
  t.end();
});

void t.test('the grid is every combination, the first parameter slowest', (t) => {
  const grid = gridPoints([parseSweptParameter('interrupt_coalescence_time=0s,1ms', pvnic), parseSweptParameter('power_saving_mode=disabled,balanced', pvnic)]);
  t.same(grid, [
    { interrupt_coalescence_time: 0, power_saving_mode: 'disabled' },
    { interrupt_coalescence_time: 0, power_saving_mode: 'balanced' },
    { interrupt_coalescence_time: 1e6, power_saving_mode: 'disabled' },
    { interrupt_coalescence_time: 1e6, power_saving_mode: 'balanced' },
  ]);
  const twice = parseSweptParameter('power_saving_mode=disabled', pvnic);
  t.throws(() => gridPoints([twice, twice]), { message: /power_saving_mode is given twice/ });
  const big = parseSweptParameter('interrupt_coalescence_time=0us..999us:1000', pvnic);
  t.throws(() => gridPoints([big, parseSweptParameter('DMA_buffer_size=4KB..4MB:11', pvnic)]), { message: new RegExp(`11000 points; at most ${MAX_GRID_POINTS}`) });
  t.end();
});
