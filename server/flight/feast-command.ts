import { FloeError } from '../../core/errors.js';
import { isRecord } from '../../core/is-record.js';

/**
 * The command Feast's remote offline store client (feast/infra/offline_stores/remote.py) puts in a
 * Flight descriptor: JSON with the API's name in `api`, a `command_id`, and the API's parameters.
 */
export interface FeastCommand {
  readonly api: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The Feast APIs Floe's offline endpoint answers; every other one is refused by name. */
export const READ_APIS = [
  'get_historical_features',
  'pull_latest_from_table_or_query',
  'pull_all_from_table_or_query',
  'get_table_column_names_and_types_from_data_source',
] as const;
export type ReadApi = (typeof READ_APIS)[number];

/** Parses a descriptor's command; a malformed one, or one naming no `api`, is an invalid-input error. */
export function parseFeastCommand(command: Uint8Array | undefined): FeastCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(command ?? new Uint8Array(0)).toString('utf8'));
  } catch {
    throw new FloeError(
      'invalid-input',
      "The Flight descriptor's command is not JSON: Floe's offline endpoint takes Feast's remote offline store commands",
    );
  }
  if (!isRecord(parsed) || typeof parsed.api !== 'string')
    throw new FloeError(
      'invalid-input',
      "The Flight descriptor's command names no api: Floe's offline endpoint takes Feast's remote offline store commands",
    );
  const { api, ...parameters } = parsed as Record<string, unknown> & { api: string };
  return { api, parameters };
}

/** The APIs answered on do_put alone, which return nothing (older clients' reads also start with a do_put). */
export const PUT_APIS = ['validate_data_source', 'offline_write_batch', 'persist', 'write_logged_features'] as const;
export type PutApi = (typeof PUT_APIS)[number];

/** The do_put-only API a command asks for, or undefined when it is a read (or refused by readApi). */
export function putApi(command: FeastCommand): PutApi | undefined {
  return (PUT_APIS as readonly string[]).includes(command.api) ? (command.api as PutApi) : undefined;
}

/** The read API a command asks for, or a clear refusal naming it. */
export function readApi(command: FeastCommand): ReadApi {
  if ((READ_APIS as readonly string[]).includes(command.api)) return command.api as ReadApi;
  return refuse(command);
}

/** Refuses an API Floe does not answer (or not by this call), by name, with those it answers. */
function refuse(command: FeastCommand): never {
  throw new FloeError(
    'unsupported',
    `Floe's offline endpoint does not answer Feast's ${command.api}; it answers ${[...READ_APIS, ...PUT_APIS].join(', ')}`,
    { context: { field: 'api' } },
  );
}

/** A parameter that must be a list of strings. */
export function stringList(command: FeastCommand, name: string): string[] {
  const value = command.parameters[name];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    throw new FloeError('invalid-input', `Feast's ${command.api} command needs ${name} as a list of strings`, { context: { field: name } });
  return value as string[];
}
