import { BatonError } from '../core/errors.ts';

/** `16777216 bytes (16 MiB)`: a byte count a reader can take in. */
export function describeBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = '';
  for (const u of units) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return unit === '' ? `${bytes} bytes` : `${bytes} bytes (${Number.isInteger(value) ? value : value.toFixed(1)} ${unit})`;
}

/**
 * The error of an output over `policy.maxOutputBytes`: the attempt is `invalid`, and the message
 * says the size, the limit and the policy key to raise it.
 */
export function outputTooLarge(what: string, limit: number): BatonError {
  return new BatonError('OUTPUT_INVALID', `${what}: the output limit is ${describeBytes(limit)} (policy.maxOutputBytes in the manifest)`);
}
