import { createHash } from 'node:crypto';
import { writeDefaultText } from '../../engine/read/initial-defaults.js';
import type { NestedField } from '../../iceberg/spec/types.js';
import { pushedValueText } from './pushed-values.js';
import { FloeError } from '../../core/errors.js';

/** Where pushed rows go, as Feast's `PushMode`: online tables, the source table, or both. */
export const PUSH_TARGETS = ['online', 'offline', 'online_and_offline'] as const;
export type PushTarget = (typeof PUSH_TARGETS)[number];

/** Rows for a push source as columns of values (Feast's `df`), by the source table's column names. */
export type PushColumns = Readonly<Record<string, readonly unknown[]>>;

/** A push's rows, checked: every present value as the text DuckDB casts to the column's type (null for null). */
export interface CheckedRows {
  readonly rows: number;
  /** The source table's columns in schema order, each with its values (all null when the push did not give it). */
  readonly columns: readonly { readonly field: NestedField; readonly values: readonly (string | null)[] }[];
}

/**
 * Checks pushed rows against the source table's columns: every column known, present where
 * required (join keys, the timestamp field and the table's required columns), every value of the
 * column's type. The first problem is refused naming the row index and the column.
 */
export function checkPushedRows(
  pushSource: string,
  columns: PushColumns,
  fields: readonly NestedField[],
  required: ReadonlySet<string>,
): CheckedRows {
  const byName = fieldsByName(fields);
  const refuse = pushRefusal(pushSource);
  const given = Object.entries(columns);
  for (const [name, values] of given) {
    if (!byName.has(name)) throw unknownColumn(refuse, name, fields);
    if (!Array.isArray(values)) throw refused(pushSource, `column ${name} must be a list of values`, { column: name });
  }
  const rows = given[0]?.[1].length ?? 0;
  const uneven = given.find(([, values]) => values.length !== rows);
  if (uneven)
    throw refused(
      pushSource,
      `every column must have the same length: ${given[0]![0]} has ${rows} values, ${uneven[0]} has ${uneven[1].length}`,
      {
        column: uneven[0],
      },
    );
  for (const name of required) if (!Object.hasOwn(columns, name) && rows > 0) throw missingRequired(refuse, 0, name);
  return {
    rows,
    columns: fields.map((field) => {
      const values = Object.hasOwn(columns, field.name) ? columns[field.name]! : undefined;
      // An omitted column gets the v3 write-default, as the spec asks of every writer.
      if (values === undefined) return { field, values: new Array<string | null>(rows).fill(writeDefaultText(field) ?? null) };
      const isRequired = required.has(field.name);
      return { field, values: values.map((value, row) => checkedValue(refuse, field, isRequired, value, row)) };
    }),
  };
}

/**
 * How a refused value is told: where (the row, absent for a column no row can have, and the
 * column) and the problem, which never names them. A push names the push source and the row; a
 * stream its message's field.
 */
export type Refusal = (at: { readonly row?: number; readonly column: string }, problem: string) => FloeError;

/**
 * A checker of single rows given as objects (a stream's messages), made once per schema: the rules
 * of checkPushedRows for a push of one row, without building columns for each. Returns the row's
 * values in the columns' order; refuses with `refuse` (row 0).
 */
export function pushedRowChecker(
  refuse: Refusal,
  fields: readonly NestedField[],
  required: ReadonlySet<string>,
): (record: Readonly<Record<string, unknown>>) => (string | null)[] {
  const byName = fieldsByName(fields);
  const positions = new Map(fields.map((field, position) => [field.name, position]));
  const defaults = fields.map((field) => writeDefaultText(field) ?? null);
  const isRequired = fields.map((field) => required.has(field.name));
  const requiredNames = [...required];
  return (record) => {
    for (const name of Object.keys(record)) if (!byName.has(name)) throw unknownColumn(refuse, name, fields);
    for (const name of requiredNames) if (!Object.hasOwn(record, name)) throw missingRequired(refuse, 0, name);
    const row = defaults.slice();
    for (const name in record) {
      const position = positions.get(name)!;
      row[position] = checkedValue(refuse, fields[position]!, isRequired[position]!, record[name], 0);
    }
    return row;
  };
}

/** One pushed value as the text DuckDB casts to the column's type (null for null), or refused naming the row and column. */
function checkedValue(refuse: Refusal, field: NestedField, isRequired: boolean, value: unknown, row: number): string | null {
  if (value === null || value === undefined) {
    if (isRequired) throw missingRequired(refuse, row, field.name);
    return null;
  }
  const text = pushedValueText(field.type, value);
  if (typeof text !== 'string') throw refuse({ row, column: field.name }, text.problem);
  return text;
}

const namedFields = new WeakMap<readonly NestedField[], ReadonlyMap<string, NestedField>>();

/** The columns by name, made once per schema: a stream checks every message against the same one. */
function fieldsByName(fields: readonly NestedField[]): ReadonlyMap<string, NestedField> {
  let byName = namedFields.get(fields);
  if (byName === undefined) {
    byName = new Map(fields.map((field) => [field.name, field]));
    namedFields.set(fields, byName);
  }
  return byName;
}

/**
 * A fingerprint of a request's checked rows, to tell a resent request_id with the same rows (a
 * retry) from one reused for other rows. Only columns holding a value count, so a column the table
 * gained between the two sends does not make a retry look different.
 */
export function rowsDigest(rows: CheckedRows): string {
  const hash = createHash('sha256');
  for (const column of rows.columns) {
    if (column.values.every((value) => value === null)) continue;
    hash.update(JSON.stringify([column.field.name, column.values]));
  }
  return hash.digest('base64url').slice(0, 22);
}

/**
 * What a request_id is recorded with: its rows' digest and where it goes (a push's `to`, or
 * `write-to-online-store`), so a resend (the same of both) is told from a reuse (other rows or
 * other targets).
 */
export function requestFingerprint(rows: CheckedRows, targets: string): string {
  return `${rowsDigest(rows)}:${targets}`;
}

/** Whether a recorded fingerprint is this request's; one recorded before targets were (a rows digest alone) compares the rows. */
export function sameRequest(recorded: string, fingerprint: string): boolean {
  return recorded.includes(':') ? recorded === fingerprint : recorded === fingerprint.slice(0, fingerprint.indexOf(':'));
}

function unknownColumn(refuse: Refusal, name: string, fields: readonly NestedField[]): FloeError {
  return refuse({ column: name }, `is not a column of the source table; it has: ${fields.map((field) => field.name).join(', ')}`);
}

function missingRequired(refuse: Refusal, row: number, column: string): FloeError {
  return refuse({ row, column }, 'missing (it is required)');
}

function pushRefusal(pushSource: string): Refusal {
  return (at, problem) =>
    refused(
      pushSource,
      at.row === undefined ? `column ${JSON.stringify(at.column)} ${problem}` : `row ${at.row}, column ${at.column}: ${problem}`,
      at,
    );
}

function refused(pushSource: string, detail: string, context: { row?: number; column: string }): FloeError {
  return new FloeError('invalid-input', `Push to ${pushSource}: ${detail}; nothing of this request was written`, {
    context: { pushSource, field: context.row === undefined ? `df.${context.column}` : `df.${context.column}[${context.row}]`, ...context },
  });
}
