import type { FieldPath } from './describe.ts';

/**
 * One problem before it is placed in the source: the field it is about and what is wrong.
 * `at: 'key'` points at the key itself (an unknown or misnamed key) rather than its value.
 */
export interface Finding {
  path: FieldPath;
  message: string;
  at?: 'key';
}
