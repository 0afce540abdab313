import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FloeError } from '../../core/errors.js';
import { floePackageRoot } from '../version.js';
import { defined } from '../../contracts/defined.js';
import type { Redactor } from '../../core/redaction.js';

/** Template file → the name it gets in the new project. */
const FILES: Readonly<Record<string, string>> = {
  'floe.yaml.template': 'floe.yaml',
  'features.ts.template': 'features.ts',
  'generate_data.mjs.template': 'generate_data.mjs',
  'README.md.template': 'README.md',
  // Depends on floe (which runs features.ts itself) and is ESM, so features.ts loads as the module it is written as.
  'package.json.template': 'package.json',
};

export function initCommand(program: Command, redactor: Redactor): void {
  program
    .command('init')
    .description('Create a Floe project: floe.yaml, example definitions and a sample data generator')
    .argument('<dir>', 'the folder to create (it may exist, but must be empty)')
    .option(
      '--floe-dependency <spec>',
      "the floe dependency the project's package.json names (default: ^ this Floe's version; e.g. file:floe-0.1.0.tgz)",
    )
    .option('--json', 'print what was created as JSON')
    .action(async (dir: string, options: { floeDependency?: string; json?: boolean }) => {
      const result = await initProject(dir, { redactor, ...defined({ floeDependency: options.floeDependency }) });
      const { printResult } = await import('../output.js');
      printResult(redactor, result, options, () =>
        [
          `Created Floe project ${result.project} in ${result.directory}:`,
          ...result.files.map((file) => `  ${file}`),
          '',
          'Next:',
          `  cd ${path.relative(process.cwd(), result.directory) || '.'}`,
          '  npm install                     # floe itself, unless a folder above already has it',
          "  node generate_data.mjs          # sample source data in the project's SQLite catalog",
          '  npx floe apply                  # store the definitions, create the online tables (again after each edit)',
          '  npx floe dev                    # Temporal dev server + worker + feature server',
          '  npx floe materialize driver_hourly_stats --start … --end …   (in another terminal; the generator prints the window)',
          '  npx floe get-online driver_hourly_stats:conv_rate --entity driver_id=1001',
        ].join('\n'),
      );
    });
}

export async function initProject(
  dir: string,
  options: { floeDependency?: string; redactor?: Redactor } = {},
): Promise<{ directory: string; project: string; files: string[] }> {
  const directory = path.resolve(dir);
  if (existsSync(directory) && (await readdir(directory)).length > 0) {
    throw new FloeError('invalid-input', `${directory} is not empty; give floe init a new or empty folder`, {
      context: { file: directory },
    });
  }
  const project =
    path
      .basename(directory)
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, '_') || 'floe_project';
  const floe = floePackageRoot();
  const template = path.join(floe.directory, 'examples', 'init-template');
  const floeDependency = options.floeDependency ?? `^${floe.version}`;
  await mkdir(directory, { recursive: true });
  for (const [file, target] of Object.entries(FILES)) {
    const text = (await readFile(path.join(template, file), 'utf8'))
      .replaceAll('__FLOE_DEPENDENCY__', floeDependency)
      .replaceAll('__PROJECT__', project);
    await writeFile(path.join(directory, target), text, { mode: target.endsWith('.mjs') ? 0o755 : 0o644 });
  }
  await writeFile(path.join(directory, '.gitignore'), '.floe/\nnode_modules/\n');
  const catalogFile = await createCatalog(directory, options.redactor);
  return { directory, project, files: [...Object.values(FILES), '.gitignore', ...(catalogFile === undefined ? [] : [catalogFile])] };
}

/**
 * The new project's empty SQLite catalog (`.floe/catalog.db` unless FLOE_CATALOG_URI says otherwise):
 * `floe init` is one of the few places that creates one, so a typo in catalog.uri later is an error.
 */
async function createCatalog(directory: string, redactor: Redactor | undefined): Promise<string | undefined> {
  const { readProjectConfig } = await import('../../features/config.js');
  const { loadCatalog } = await import('../../iceberg/catalog/load-catalog.js');
  const { isPostgresUri } = await import('../../iceberg/catalog/postgres-driver.js');
  const { sqlitePathFromUri } = await import('../../iceberg/catalog/sql-catalog.js');
  const { catalog } = await readProjectConfig(path.join(directory, 'floe.yaml'), process.env, redactor);
  if (catalog.type !== 'sql' || isPostgresUri(catalog.uri)) return undefined;
  await (await loadCatalog({ ...catalog, create: true }, defined({ redactor }))).close();
  return path.relative(directory, path.resolve(directory, sqlitePathFromUri(catalog.uri)));
}
