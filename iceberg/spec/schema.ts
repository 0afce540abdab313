import type { NestedField } from './types.js';

/** A table schema: a struct of fields identified by id, not by name (spec: "Schema Evolution"). */
export interface Schema {
  readonly schemaId: number;
  readonly identifierFieldIds: readonly number[];
  readonly fields: readonly NestedField[];
}
