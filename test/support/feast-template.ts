import type { OracleCatalog } from './pyiceberg.js';
import { runPyiceberg } from './pyiceberg.js';

/**
 * The repository Feast's `feast init` writes (its `local` template), as Floe's tests take it in:
 * its driver stats as an Iceberg table, and its on-demand views' Python ported to TypeScript (the
 * TODO `floe import feast` leaves for them).
 */

/** The template's on-demand views (conv_rate + val_to_add, conv_rate + val_to_add_2), ported from their Python. */
export const PORTED_COMPUTE = `compute: (inputs) => {
    const [stats, vals] = Object.values(inputs);
    if (stats?.conv_rate == null || vals?.val_to_add == null || vals?.val_to_add_2 == null) return {};
    return {
      conv_rate_plus_val1: Number(stats.conv_rate) + Number(vals.val_to_add),
      conv_rate_plus_val2: Number(stats.conv_rate) + Number(vals.val_to_add_2),
    };
  },`;

/** features.ts from `floe import feast` with the on-demand views' TODO stubs replaced by PORTED_COMPUTE. */
export function portOnDemandViews(generated: string): string {
  return generated.replace(/compute: \(\) => \{\n\s+throw new Error\([^\n]*\);\n\s+\},/g, PORTED_COMPUTE);
}

/**
 * Creates `identifier` shaped as the template's driver stats (with `typedFeatures`, Feast 0.67's
 * Map, Json and Struct features) and appends `parquet` (written by test/oracles/feast_example_repo.py).
 */
export async function loadTemplateStats(
  catalog: OracleCatalog,
  identifier: string,
  parquet: string,
  options: { readonly typedFeatures: boolean } = { typedFeatures: true },
): Promise<void> {
  const typed = [
    {
      id: 7,
      name: 'driver_metadata',
      type: { type: 'map', 'key-id': 10, key: 'string', 'value-id': 11, value: 'string', 'value-required': false },
      required: false,
    },
    { id: 8, name: 'driver_config', type: 'string', required: false },
    {
      id: 9,
      name: 'driver_profile',
      type: {
        type: 'struct',
        fields: [
          { id: 12, name: 'name', type: 'string', required: false },
          { id: 13, name: 'age', type: 'string', required: false },
        ],
      },
      required: false,
    },
  ];
  await runPyiceberg('create_table', {
    catalog,
    identifier,
    schema: {
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'driver_id', type: 'long', required: false },
        { id: 2, name: 'event_timestamp', type: 'timestamptz', required: false },
        { id: 3, name: 'created', type: 'timestamptz', required: false },
        { id: 4, name: 'conv_rate', type: 'float', required: false },
        { id: 5, name: 'acc_rate', type: 'float', required: false },
        { id: 6, name: 'avg_daily_trips', type: 'long', required: false },
        ...(options.typedFeatures ? typed : []),
      ],
    },
    format_version: 2,
  });
  await runPyiceberg('append', { catalog, identifier, parquet });
}
