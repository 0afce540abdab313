import type { NestedField } from './types.js';

/**
 * The v3 row lineage metadata columns (spec: "Reserved Field IDs", "Row Lineage"). A data file may
 * store them under these ids; a null or missing value is inherited on read: `_row_id` from the
 * file's first_row_id plus the row's position, `_last_updated_sequence_number` from the file's
 * data sequence number.
 */
export const ROW_ID_FIELD: NestedField = { id: 2147483540, name: '_row_id', required: false, type: 'long' };
export const LAST_UPDATED_SEQUENCE_NUMBER_FIELD: NestedField = {
  id: 2147483539,
  name: '_last_updated_sequence_number',
  required: false,
  type: 'long',
};
