import { z } from 'zod';

/**
 * The longest name Floe accepts for anything a user names: entities, sources, feature views,
 * features, feature services, join keys, namespaces, table names, the project. 128 characters,
 * because every catalog Floe supports and every place a name ends up takes that much:
 * - the Iceberg SQL catalog (Java's JdbcCatalog, pyiceberg's SqlCatalog, Floe's own) keeps
 *   `table_namespace` and `table_name` in VARCHAR(255) columns, and a namespace of several levels
 *   joined by dots must still fit;
 * - a REST catalog puts namespace and table in URL path segments;
 * - an online table is the folder `<warehouse>/<namespace>/<view>/` and the project the folder
 *   `_floe_registry/<project>`: a file name is at most 255 bytes on the file systems Floe runs on
 *   (names here are ASCII, so characters are bytes);
 * - Temporal workflow and schedule ids embed view names next to two instants, well within its
 *   1,000-character id limit.
 * A longer name used to pass `floe plan` and fail at `floe apply` on a file write.
 */
export const MAX_NAME_LENGTH = 128;

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
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, 'must be letters, digits and underscores (not starting with a digit), with dots between levels');

/**
 * `namespace.table` of a table that may already exist (a source): any characters but dots and
 * spaces, with the namespace and the table name each at most MAX_NAME_LENGTH.
 */
export const tableIdentifierSchema = z
  .string()
  .regex(/^[^.\s]+(\.[^.\s]+)+$/, 'must be "namespace.table"')
  .refine((text) => text.slice(0, text.lastIndexOf('.')).length <= MAX_NAME_LENGTH && text.length - text.lastIndexOf('.') - 1 <= MAX_NAME_LENGTH, {
    message: `its namespace and its table name must each be at most ${MAX_NAME_LENGTH} characters`,
  });

/** A name shortened for a message: a 5,000-character name is named by its start and its length. */
export function quotedName(name: string): string {
  return name.length <= MAX_NAME_LENGTH ? name : `${name.slice(0, 40)}… (${name.length} characters)`;
}
