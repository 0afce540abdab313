import type { Command } from 'commander';
import { displayValue } from '../../features/consistency/compare.js';
import type { OnlineFeaturesResponse } from '../../features/online/index.js';
import { FloeError } from '../../core/errors.js';
import type { Redactor } from '../../core/redaction.js';

export function getOnlineCommand(program: Command, redactor: Redactor): void {
  program
    .command('get-online')
    .description("Print the online features of entity keys: the latest value per key from each view's online table")
    .argument('[features...]', 'features as view:feature, or view for all of its features')
    .option('--entity <key=values>', 'a join key and its values, e.g. driver_id=1001,1002 (repeat for composite keys)', collect, [])
    .option('--feature-service <name>', 'the features of a feature service instead of a list')
    .option('--project <dir>', 'the Floe project folder (holding floe.yaml)', '.')
    .option('--json', 'print the response as JSON')
    .action(async (features: string[], options: { entity: string[]; featureService?: string; project: string; json?: boolean }) => {
      if ((features.length === 0) === (options.featureService === undefined)) {
        throw new FloeError('invalid-input', 'Name the features (view:feature …) or --feature-service, one of the two', {
          context: { field: 'features' },
        });
      }
      const entityRows = parseEntities(options.entity);
      const { loadProject } = await import('../../features/project.js');
      const { EXIT_FAILURE, printResult } = await import('../output.js');
      const project = await loadProject(options.project, process.env, { redactor });
      const { describeOnlineDataGap, OnlineStore, onlineDataGaps } = await import('../../features/online/index.js');
      const { openRuntime } = await import('../../features/runtime.js');
      const runtime = await openRuntime(project);
      try {
        const store = new OnlineStore({
          registry: project.registry,
          catalog: runtime.catalog,
          engine: runtime.engine,
          refreshIntervalMs: 0,
        });
        const selection = options.featureService !== undefined ? { featureService: options.featureService } : { features };
        const response = await store.getOnlineFeatures({ ...selection, entityRows });
        printResult(redactor, response, options, () => table(response));
        // A view with no online data reads "not found" for every key: say why, and fail.
        const unread = response.reads
          .filter((read) => read.snapshotId === null)
          .map((read) => project.registry.featureView(read.featureView));
        const gaps = await onlineDataGaps(runtime.catalog, project.registry, unread);
        for (const gap of gaps) console.error(`floe: warning: ${describeOnlineDataGap(gap)}`);
        if (gaps.length > 0) process.exitCode = EXIT_FAILURE;
      } finally {
        await runtime.close();
      }
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--entity driver_id=1001,1002 --entity city=ams,rtm` → one entity row per position. A value may be
 * a JSON array (a list request field): `--entity 'query=[0.1,0.2],[0.3,0.4]'`.
 */
export function parseEntities(specs: readonly string[]): Record<string, string>[] {
  if (specs.length === 0)
    throw new FloeError('invalid-input', 'Give the entity keys to read, e.g. --entity driver_id=1001,1002', {
      context: { field: '--entity' },
    });
  const columns = specs.map((spec) => {
    const match = /^([^=]+)=(.*)$/.exec(spec);
    if (!match || match[2] === '')
      throw new FloeError('invalid-input', `--entity ${JSON.stringify(spec)} must look like key=value[,value…]`, {
        context: { field: '--entity' },
      });
    return { name: match[1]!.trim(), values: topLevelValues(match[2]!) };
  });
  const length = columns[0]!.values.length;
  const uneven = columns.find((column) => column.values.length !== length);
  if (uneven)
    throw new FloeError(
      'invalid-input',
      `Every --entity needs as many values: ${columns[0]!.name} has ${length}, ${uneven.name} has ${uneven.values.length}`,
      { context: { field: '--entity' } },
    );
  return Array.from({ length }, (_, index) => Object.fromEntries(columns.map((column) => [column.name, column.values[index]!])));
}

/** The comma-separated values of one --entity, a comma inside brackets or quotes (a JSON array's) not splitting them. */
function topLevelValues(text: string): string[] {
  const values: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '\\') index++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === '[') depth++;
    else if (char === ']') depth = Math.max(0, depth - 1);
    else if (char === ',' && depth === 0) {
      values.push(text.slice(start, index).trim());
      start = index + 1;
    }
  }
  values.push(text.slice(start).trim());
  return values;
}

/** Keys, then one column per feature; a value that is not there says why. */
function table(response: OnlineFeaturesResponse): string {
  const header = [...response.entities.map((entity) => entity.name), ...response.features.map((feature) => feature.ref)];
  const count = response.entities[0]?.values.length ?? 0;
  const rows = Array.from({ length: count }, (_, index) => [
    ...response.entities.map((entity) => String(entity.values[index])),
    ...response.features.map((feature) => {
      const status = feature.statuses[index];
      if (status === 'NOT_FOUND') return '(not found)';
      if (status === 'OUTSIDE_MAX_AGE') return `(expired: ${feature.eventTimestamps[index]})`;
      const value = feature.values[index];
      if (value === null || value === undefined) return 'null';
      // A list, map or struct as JSON-like text (longs exact), not "[object Object]".
      return typeof value === 'object' ? displayValue(value) : String(value);
    }),
  ]);
  const widths = header.map((name, column) => Math.max(name.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
