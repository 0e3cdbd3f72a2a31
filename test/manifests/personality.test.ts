import t from 'tap';
import schema from '../../manifests/schema/personality.schema.json' with { type: 'json' };
import timeResetSchema from '../../manifests/schema/time-reset.schema.json' with { type: 'json' };
import trustRootSchema from '../../manifests/schema/trust-root.schema.json' with { type: 'json' };
import stateSchema from '../../src/manifests/rollback-state.schema.json' with { type: 'json' };
import { formatParameter, PARAMETER_KINDS } from '../../src/manifests/personality.js';
import { TIMESTAMP_PATTERN } from '../../src/manifests/timestamp.js';
import { DURATION_PATTERN, SIZE_PATTERN } from '../../src/manifests/units.js';

void t.test('formatParameter writes values as a manifest would', (t) => {
  t.equal(formatParameter('interrupt_coalescence_time', 4_000_000), '4ms');
  t.equal(formatParameter('interrupt_coalescence_time', 1_500_000), '1500us');
  t.equal(formatParameter('DMA_buffer_size', 262_144), '256KB');
  t.equal(formatParameter('DMA_buffer_size', 1000), '1000B');
  t.equal(formatParameter('power_saving_mode', 'disabled'), 'disabled');
  t.equal(formatParameter('feature_set', ['tso', 'gro']), 'tso,gro');
  t.equal(formatParameter('feature_set', []), '');
  t.equal(formatParameter('not_yet_known', 7), '7');
  t.end();
});

void t.test('the schema and the code agree on parameters and units', (t) => {
  t.same(Object.keys(schema.properties.parameters.properties).sort(), Object.keys(PARAMETER_KINDS).sort());
  t.equal(schema.$defs.duration.pattern, DURATION_PATTERN.source);
  t.equal(schema.$defs.size.pattern, SIZE_PATTERN.source);
  t.end();
});

void t.test('every schema writes timestamps as the code parses them', (t) => {
  t.equal(schema.properties.expires.pattern, TIMESTAMP_PATTERN.source);
  t.equal(schema.properties.provenance.properties.generatedAt.pattern, TIMESTAMP_PATTERN.source);
  t.equal(trustRootSchema.$defs.timestamp.pattern, TIMESTAMP_PATTERN.source);
  t.equal(timeResetSchema.$defs.timestamp.pattern, TIMESTAMP_PATTERN.source);
  t.equal(stateSchema.properties.latestTime.pattern, TIMESTAMP_PATTERN.source);
  t.end();
});
