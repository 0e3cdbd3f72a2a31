import type { ParameterValue } from '../manifests/personality.js';
import type { ParameterSpec } from './driver-backend.js';
import type { KernelParam } from './addon-persona.js';

/**
 * Values between persona and the kernel: integers as themselves, an enum as the index of its
 * member, a set as a bit mask over its members (bit i is member i). Sets come back sorted.
 */

function safeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${what}: ${value} is beyond what persona can represent`);
  return Number(value);
}

/** The declaration persona checks values against, from the kernel's description. */
export function specOf(param: KernelParam): ParameterSpec {
  const { applyClass } = param;
  switch (param.type) {
    case 'integer':
      return { type: 'integer', unit: param.unit, min: safeNumber(param.min, param.name), max: safeNumber(param.max, param.name), applyClass };
    case 'enum':
      return { type: 'enum', values: [...param.members], applyClass };
    case 'set':
      return { type: 'set', values: [...param.members], applyClass };
  }
}

/** A value already checked against specOf(param). */
export function encodeValue(param: KernelParam, value: ParameterValue): bigint {
  switch (param.type) {
    case 'integer':
      return BigInt(value as number);
    case 'enum':
      return BigInt(param.members.indexOf(value as string));
    case 'set':
      return (value as readonly string[]).reduce((mask, member) => mask | (1n << BigInt(param.members.indexOf(member))), 0n);
  }
}

export function decodeValue(param: KernelParam, raw: bigint): ParameterValue {
  switch (param.type) {
    case 'integer':
      return safeNumber(raw, param.name);
    case 'enum': {
      const member = param.members[Number(raw)];
      if (member === undefined) throw new RangeError(`${param.name}: the kernel reports member ${raw} of ${param.members.length}`);
      return member;
    }
    case 'set':
      return param.members.filter((_, i) => (raw >> BigInt(i)) & 1n).sort();
  }
}
