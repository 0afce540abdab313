import { z } from 'zod';
import { quotedName } from '../iceberg/catalog/identifier.js';
import { FloeError } from '../core/errors.js';
import { identifierSchema } from './names.js';

/**
 * A push source, as Feast's `PushSource`: rows pushed to it (`POST /push`, `FeatureStore.push`,
 * `floe push`) go online into the feature views fed by it, and with `to: offline` into its batch
 * source's table. A feature view is fed by a push source when its `source` names the push source
 * (Feast's `source=push_source`); such a view materializes from the batch source as usual.
 */
const pushSourceSchema = z
  .object({
    name: identifierSchema,
    /** The Iceberg source (defineIcebergSource) whose table pushed rows are appended to and whose columns they have. */
    batchSource: identifierSchema,
    description: z.string().optional(),
    tags: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type PushSourceDefinition = z.infer<typeof pushSourceSchema> & { readonly kind: 'pushSource' };

export function definePushSource(input: z.input<typeof pushSourceSchema>): PushSourceDefinition {
  const result = pushSourceSchema.safeParse(input);
  if (result.success) return { kind: 'pushSource', ...result.data };
  const name =
    typeof input === 'object' && input !== null && 'name' in input ? quotedName(String((input as { name: unknown }).name)) : '(unnamed)';
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
  throw new FloeError('invalid-input', `Invalid push source ${name}: ${problems}`, {
    context: { object: name, field: result.error.issues[0]?.path.join('.') ?? '' },
  });
}
