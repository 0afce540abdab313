import { z } from 'zod';
import { MAX_NAME_LENGTH } from '../iceberg/catalog/identifier.js';

export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

const tooLong = `must be at most ${MAX_NAME_LENGTH} characters`;

/** A name as view names are checked: a letter or underscore, then letters, digits or underscores. */
export const identifierSchema = z
  .string()
  .max(MAX_NAME_LENGTH, tooLong)
  .regex(IDENTIFIER_PATTERN, 'must be a letter or underscore followed by letters, digits or underscores');

/** A namespace Floe creates (`online.namespace`): identifiers separated by dots, at most MAX_NAME_LENGTH in all. */
export const namespaceSchema = z
  .string()
  .max(MAX_NAME_LENGTH, tooLong)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/,
    'must be letters, digits and underscores (not starting with a digit), with dots between levels',
  );

/**
 * `namespace.table` of a table that may already exist (a source): any characters but dots and
 * spaces, with the namespace and the table name each at most MAX_NAME_LENGTH.
 */
export const tableIdentifierSchema = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)+$/, 'must be "namespace.table"')
  .refine(
    (text) => text.slice(0, text.lastIndexOf('.')).length <= MAX_NAME_LENGTH && text.length - text.lastIndexOf('.') - 1 <= MAX_NAME_LENGTH,
    {
      message: `its namespace and its table name must each be at most ${MAX_NAME_LENGTH} characters`,
    },
  );
