/**
 * A catalog's plain configuration (floe.yaml's `catalog`, env), validated with zod so a mistake names
 * the field: `{ type: 'sql' | 'rest', uri, warehouse, credentials, s3 settings }`. Checking it loads
 * no catalog driver or storage client: reading floe.yaml needs only this; load-catalog.ts opens one.
 */
import { z } from 'zod';
import { FloeError } from '../../core/errors.js';

/** A boolean that may also arrive as the text `true` / `false` (configuration interpolated from the environment). */
const flag = z.preprocess((value) => (value === 'true' ? true : value === 'false' ? false : value), z.boolean());

const s3Settings = z
  .object({
    endpoint: z.string().min(1).optional(),
    region: z.string().min(1).optional(),
    /** R2 and MinIO need path-style (or their own endpoint); AWS does not. */
    pathStyle: flag.optional(),
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    sessionToken: z.string().min(1).optional(),
  })
  .strict();

const common = {
  /** The SQL catalog keeps it in a VARCHAR(255) `catalog_name` column. */
  name: z.string().min(1).max(255, 'must be at most 255 characters').default('default'),
  warehouse: z.string().min(1).optional(),
  s3: s3Settings.optional(),
  /** Extra catalog / FileIO properties by their Iceberg names (`s3.*`, `client.region`, …). */
  properties: z.record(z.string(), z.string()).optional(),
};

export const catalogConfigSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('sql'),
      uri: z.string().min(1),
      /** Create a SQLite catalog file that does not exist yet; otherwise a missing file is an error (a typo must not start an empty catalog). */
      create: flag.default(false),
      ...common,
    })
    .strict(),
  z
    .object({
      type: z.literal('rest'),
      uri: z.url(),
      token: z.string().min(1).optional(),
      credential: z.string().min(1).optional(),
      oauth2ServerUri: z.url().optional(),
      scope: z.string().min(1).optional(),
      headers: z.record(z.string(), z.string()).optional(),
      ...common,
    })
    .strict()
    .refine((config) => config.token === undefined || config.credential === undefined, {
      message: 'give either token or credential, not both',
      path: ['credential'],
    }),
]);

export type CatalogConfig = z.input<typeof catalogConfigSchema>;

export function parseCatalogConfig(input: unknown): ParsedCatalogConfig {
  const result = catalogConfigSchema.safeParse(input);
  if (result.success) return result.data;
  // Issue paths and messages only: never the values, which may be secrets.
  const problems = result.error.issues.map(
    (issue) => `${issue.path.length === 0 ? 'catalog' : `catalog.${issue.path.join('.')}`}: ${issue.message}`,
  );
  throw new FloeError('invalid-input', `Invalid catalog configuration: ${problems.join('; ')}`, {
    context: { field: result.error.issues[0]?.path.join('.') },
  });
}

export type S3Settings = z.output<typeof s3Settings>;

export type ParsedCatalogConfig = z.output<typeof catalogConfigSchema>;
