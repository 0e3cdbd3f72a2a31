/** A guard as the statechart file writes it: a name, or a name with its thresholds. */
type GuardRef = string | { type: string; params?: Record<string, number> };

interface TransitionRef {
  target?: string;
  guard?: GuardRef;
}

const seconds = (ms: number): string => `${ms / 1000} s`;

/** The driving guards in words, thresholds included; an unknown guard is named with its params. */
function guardWords(guard: GuardRef): string {
  const type = typeof guard === 'string' ? guard : guard.type;
  const p = typeof guard === 'string' ? {} : (guard.params ?? {});
  switch (type) {
    case 'isSpeedAbove':
      return `speed > ${p.kmh} km/h`;
    case 'isSpeedAtMost':
      return `speed ≤ ${p.kmh} km/h`;
    case 'isMoving':
      return `speed ≥ ${p.minSpeedKmh} km/h out of park`;
    case 'isParked':
      return `in park, or stopped (≤ ${p.maxSpeedKmh} km/h) for ${seconds(p.standstillMs ?? 0)}`;
    case 'isRoughRoad':
      return `vertical RMS > ${p.verticalRmsAbove} m/s² or wheel slip > ${(p.wheelSlipAbove ?? 0) * 100} % below ${p.maxSpeedKmh} km/h`;
    case 'isSmoothRoad':
      return `vertical RMS < ${p.verticalRmsBelow} m/s² and wheel slip < ${(p.wheelSlipBelow ?? 0) * 100} % (with one of them stale, above ${p.staleAboveKmh} km/h)`;
    case 'isSignalMissing':
      return 'a required signal is stale or missing';
    case 'isSettled':
      return `the required signals are present, and the optional ones or ${seconds(p.minPresentMs ?? 0)} have passed`;
    default:
      return `${type}${Object.keys(p).length > 0 ? ` ${JSON.stringify(p)}` : ''}`;
  }
}

/**
 * Why the driving context went from `from` to `to`, in words, from the statechart document
 * the daemon runs (already checked by createContextMachine): the guard of that transition with
 * its thresholds, and the least time in `from` it required. Undefined when there is none.
 */
export function drivingTransitionWords(statechart: unknown): (from: string, to: string) => string | undefined {
  const driving = (statechart as { states?: { driving?: { states?: Record<string, { on?: Record<string, TransitionRef | TransitionRef[]> }> } } }).states?.driving?.states ?? {};
  return (from, to) => {
    const on = driving[from]?.on?.SAMPLE;
    const transition = (Array.isArray(on) ? on : on ? [on] : []).find((t) => t.target === to);
    if (!transition?.guard) return undefined;
    const dwell = typeof transition.guard === 'string' ? 0 : (transition.guard.params?.minDwellMs ?? 0);
    return `${guardWords(transition.guard)}${dwell > 0 ? ` (after ${seconds(dwell)} in ${from})` : ''}`;
  };
}
