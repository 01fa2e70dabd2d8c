import { z } from 'zod';
import { parseDuration, parseFraction, parseRate, parseSize, type Parsed } from './units.ts';

/**
 * What a unit field accepts, for the scenario JSON Schema (scenarios/schema/json-schema.ts turns
 * it into the input forms, bounds and a unit sentence in the key's description).
 */
export interface UnitHint {
  kind: 'size' | 'duration' | 'rate' | 'fraction';
  /** Unit of a bare number (durations only); none: a bare number is refused. */
  bareUnit?: 'ns' | 'us' | 'ms' | 's' | undefined;
  min?: number | undefined;
  max?: number | undefined;
  multipleOf?: number | undefined;
}

/** A zod field that runs one of the unit parsers and reports its reason as the issue message. */
function unitField(parse: (v: unknown) => Parsed, unit: UnitHint) {
  return z.unknown().meta({ orionUnit: unit }).transform((v, ctx): number => {
    const r = parse(v);
    if (!r.ok) {
      ctx.issues.push({ code: 'custom', message: r.reason, input: v });
      return z.NEVER;
    }
    return r.value;
  });
}

/** A size in bytes ("4KiB", "2MB", or an integer of bytes), optionally bounded. */
export function size(bounds: { min?: number; max?: number; multipleOf?: number } = {}) {
  return unitField(parseSize, { kind: 'size', ...bounds }).check((ctx) => checkBounds(ctx, bounds, 'bytes'));
}

/** A duration normalised to integer ns; `bareUnit` names the unit of a bare number, if allowed. */
export function duration(bareUnit?: 'ns' | 'us' | 'ms' | 's', bounds: { min?: number; max?: number } = {}) {
  return unitField((v) => parseDuration(v, bareUnit), { kind: 'duration', bareUnit, ...bounds }).check((ctx) => checkBounds(ctx, bounds, 'ns'));
}

/** A rate normalised to bit/s ("25Gbit", "1GB/s"). */
export function rate() {
  return unitField(parseRate, { kind: 'rate', min: 1 }).check((ctx) => checkBounds(ctx, { min: 1 }, 'bit/s'));
}

/** A probability from "1%" or 0.01. */
export function fraction() {
  return unitField(parseFraction, { kind: 'fraction' });
}

/** An integer in [min, max]. */
export function int(min: number, max: number) {
  return z.int().meta({ minimum: min, maximum: max }).check((ctx) => checkBounds(ctx, { min, max }, ''));
}

function checkBounds(
  ctx: { value: number; issues: { push: (i: any) => void } },
  b: { min?: number; max?: number; multipleOf?: number },
  unit: string,
): void {
  const v = ctx.value;
  const u = unit === '' ? '' : ` ${unit}`;
  if (b.min !== undefined && v < b.min) ctx.issues.push({ code: 'custom', message: `must be at least ${b.min}${u}, got ${v}`, input: v });
  if (b.max !== undefined && v > b.max) ctx.issues.push({ code: 'custom', message: `must be at most ${b.max}${u}, got ${v}`, input: v });
  if (b.multipleOf !== undefined && v % b.multipleOf !== 0) {
    ctx.issues.push({ code: 'custom', message: `must be a multiple of ${b.multipleOf}${u}, got ${v}`, input: v });
  }
}
