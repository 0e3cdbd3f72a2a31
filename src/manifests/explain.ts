import { formatParameter, PARAMETER_KINDS, type HealthSpec, type ParameterValue, type Personality, type ResolvedParameter } from './personality.js';

/**
 * A personality as `persona manifest explain` shows it: inheritance flattened,
 * units normalised, what the driver takes for each parameter, and why it is trusted.
 */
export function explainPersonality(p: Personality): string[] {
  const { trust } = p;
  const trusted =
    trust.rootVersion === undefined
      ? [`${trust.verifier}: signatures not checked`]
      : [
          `${trust.verifier}: ${trust.signers.length} valid of the ${trust.threshold} required distinct keys ` +
            `of the personalities role, trust root v${trust.rootVersion}`,
          ...trust.signers.map((s) => `signed by ${s.name} (keyid ${s.keyid})`),
        ];
  return [
    `${p.driverId}/${p.name} v${p.version}  ${p.source}`,
    `  ${p.description}`,
    `  driver     ${p.driverId} ${p.driverVersions}`,
    `  for        ${p.instanceProfiles.length === 0 ? 'every instance profile' : `instance profiles ${p.instanceProfiles.join(', ')}`}`,
    `  inherits   ${p.inherits.length === 0 ? 'nothing' : p.inherits.join(' → ')}`,
    `  expires    ${p.expires ?? 'never'}`,
    `  health     ${p.health ? explainHealth(p.health) : 'not watched'}`,
    `  sha256     ${p.digest}`,
    ...trusted.map((line, i) => `  ${i === 0 ? 'trusted   ' : '          '} ${line}`),
    `  parameters, in the driver's apply order:`,
    ...p.resolved.flatMap((r) => explainParameter(r)),
  ];
}

/** "rx_dropped_per_s ≤ 100 for 5000 ms after a switch" */
function explainHealth(health: HealthSpec): string {
  const bounds = Object.entries(health.bounds).flatMap(([metric, b]) => [
    ...(b.min !== undefined ? [`${metric} ≥ ${b.min}`] : []),
    ...(b.max !== undefined ? [`${metric} ≤ ${b.max}`] : []),
  ]);
  return `${bounds.join(', ')} for ${health.windowMs} ms after a switch`;
}

function explainParameter(r: ResolvedParameter): string[] {
  // Normalised units: durations in ns, sizes in bytes.
  const normalised = typeof r.value === 'number' ? ` (${r.value} ${PARAMETER_KINDS[r.name] === 'size' ? 'B' : 'ns'})` : '';
  return [
    `    ${r.order}. ${r.name} = ${formatParameter(r.name, r.value)}${normalised}, set by ${r.from}`,
    `       driver ${r.driverParameter} = ${driverValue(r.driverValue, r.driverUnit)}, allowed ${r.allowed}, applied ${r.apply}`,
  ];
}

function driverValue(value: ParameterValue, unit: string): string {
  if (typeof value === 'number') return `${value} ${unit}`;
  return typeof value === 'string' ? value : `{${value.join(',')}}`;
}
