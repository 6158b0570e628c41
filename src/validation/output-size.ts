import { BatonError, errorMessage } from '../core/errors.ts';

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

/**
 * An agent's output as JSON text, checked where it is made (a worker thread, a worker process)
 * before it is sent anywhere: a value JSON cannot hold, or a text over `maxOutputBytes`, is an
 * `OUTPUT_INVALID` error with the same message the validator would give. Undefined stays undefined.
 */
export function outputAsJson(output: unknown, maxOutputBytes: number | undefined): string | undefined {
  let json: string | undefined;
  try {
    json = JSON.stringify(output) as string | undefined;
  } catch (e) {
    throw new BatonError('OUTPUT_INVALID', `output is not JSON-serialisable: ${errorMessage(e, 'its toJSON')}`);
  }
  // A UTF-8 byte is at least one UTF-16 unit and at most three: most texts need no count.
  if (json !== undefined && maxOutputBytes !== undefined && json.length * 3 > maxOutputBytes) {
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > maxOutputBytes) throw outputTooLarge(`the output is ${describeBytes(bytes)} as JSON`, maxOutputBytes);
  }
  return json;
}
