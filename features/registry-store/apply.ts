import type { Catalog } from '../../iceberg/catalog/catalog.js';
import { commitChange } from '../../iceberg/commit/commit.js';
import { FloeError } from '../../core/errors.js';
import { bind } from '../../iceberg/expressions/bind.js';
import { currentSchema } from '../../iceberg/spec/metadata.js';
import type { ProjectConfig } from '../config.js';
import { loadSourceTable, sourceColumns } from '../source.js';
import { columnTypeProblems } from '../source-types.js';
import { ensureOnlineTable, onlineTableLayout } from '../online-table/layout.js';
import type { Registry } from '../registry.js';
import { windowBeyondRetention } from '../definitions.js';
import { isAggregatedView } from '../aggregations.js';
import { formatTableIdentifier } from '../../iceberg/catalog/identifier.js';
import type { DefinitionChange } from './diff.js';
import { diffDefinitions } from './diff.js';
import { documentDefinitions, registryDocument, storedDefinitions } from './document.js';
import type { OnlineTablePlan } from './online-evolution.js';
import { onlineTableChange, planOnlineTable } from './online-evolution.js';
import { RegistryStore } from './store.js';

export interface ApplyContext {
  readonly config: ProjectConfig;
  readonly registry: Registry;
  readonly catalog: Catalog;
  readonly now?: () => Date;
}

export interface ApplyPlan {
  readonly registryLocation: string;
  /** The stored version, 0 when nothing was ever applied. */
  readonly fromVersion: number;
  readonly changes: readonly DefinitionChange[];
  readonly onlineTables: readonly (OnlineTablePlan & { readonly featureView: string })[];
  /** Reasons the definitions cannot be applied as they are (each names the view, table or column). */
  readonly problems: readonly string[];
}

export interface ApplyResult extends ApplyPlan {
  /** The version written, or `fromVersion` when there was nothing to change. */
  readonly version: number;
  readonly written: string | null;
}

/**
 * What `floe apply` would do: the definitions' diff against the stored registry, each online
 * table's creation or evolution, and every problem found by checking the views against their
 * source tables (columns, filter) and their online tables.
 */
export async function planApply(context: ApplyContext): Promise<ApplyPlan> {
  const store = RegistryStore.forProject(context.config);
  const stored = await store.latest();
  const changes = diffDefinitions(stored === null ? [] : documentDefinitions(stored), storedDefinitions(context.registry));
  const problems = await checkSources(context);
  const onlineTables: ApplyPlan['onlineTables'][number][] = [];
  for (const view of context.registry.featureViews.values()) {
    if (!view.online.enabled) continue;
    const beyondRetention = windowBeyondRetention(view);
    if (beyondRetention !== null) problems.push(beyondRetention.replace(/^feature view/, 'Feature view'));
    const { plan, problems: tableProblems } = await planOnlineTable(context.catalog, onlineTableLayout(context.registry, view));
    onlineTables.push({ ...plan, featureView: view.name });
    problems.push(...tableProblems.map((problem) => `Feature view ${view.name}: ${problem}`));
  }
  return { registryLocation: store.location, fromVersion: stored?.version ?? 0, changes, onlineTables, problems };
}

/**
 * Applies the definitions: creates or evolves the online tables, then writes the next registry
 * version (only when something changed). Refuses, changing nothing, when the plan has problems.
 */
export async function applyDefinitions(context: ApplyContext): Promise<ApplyResult> {
  const plan = await planApply(context);
  if (plan.problems.length > 0) {
    throw new FloeError('invalid-input', `Cannot apply the definitions:\n- ${plan.problems.join('\n- ')}`, {
      context: { problems: plan.problems.length },
    });
  }
  for (const table of plan.onlineTables) {
    const view = context.registry.featureView(table.featureView);
    const layout = onlineTableLayout(context.registry, view);
    if (table.action === 'create') await ensureOnlineTable(context.catalog, layout);
    else if (table.action === 'evolve') await commitChange(context.catalog, layout.identifier, onlineTableChange(layout));
  }
  const tablesChanged = plan.onlineTables.some((table) => table.action !== 'unchanged');
  if (plan.changes.length === 0 && !tablesChanged && plan.fromVersion > 0) return { ...plan, version: plan.fromVersion, written: null };
  const store = RegistryStore.forProject(context.config);
  const version = plan.fromVersion + 1;
  const document = registryDocument(context.registry, {
    project: context.config.project,
    version,
    appliedAt: (context.now ?? (() => new Date()))(),
  });
  try {
    return { ...plan, version, written: await store.write(document) };
  } catch (error) {
    if (FloeError.is(error, 'already-exists')) {
      throw new FloeError(
        'commit-conflict',
        `Another apply wrote registry version ${version} at ${store.fileOf(version)} first; run floe plan to see the registry now, then apply again`,
        {
          context: { location: store.fileOf(version) },
          cause: error,
          retryable: false,
        },
      );
    }
    throw error;
  }
}

/** Each view's source table exists and has the columns the view reads, of the types it declares; its filter binds to the table. */
async function checkSources(context: ApplyContext): Promise<string[]> {
  const problems: string[] = [];
  for (const view of context.registry.featureViews.values()) {
    const source = context.registry.sourceOf(view);
    let table;
    try {
      table = await loadSourceTable(context.catalog, view, source);
    } catch (error) {
      if (FloeError.is(error) && !error.retryable) {
        problems.push(error.detail);
        continue;
      }
      throw error;
    }
    const schema = currentSchema(table.metadata);
    const columnOf = sourceColumns(source);
    const name = formatTableIdentifier(table.identifier);
    const wanted: [string, string][] = [
      ...context.registry.joinKeysOf(view).map((key): [string, string] => [columnOf(key.name), `join key ${key.name}`]),
      ...(isAggregatedView(view)
        ? (view.aggregations ?? []).map((aggregation): [string, string] => [
            columnOf(aggregation.column),
            `aggregated column ${aggregation.column}`,
          ])
        : view.features.map((feature): [string, string] => [columnOf(feature.name), `feature ${feature.name}`])),
      [source.timestampField, 'timestampField'],
      ...(source.createdTimestampField === undefined ? [] : [[source.createdTimestampField, 'createdTimestampField'] as [string, string]]),
    ];
    for (const [column, role] of wanted) {
      if (!schema.fields.some((field) => field.name === column)) {
        problems.push(
          `Feature view ${view.name}: source ${source.name} (table ${name}) has no column ${JSON.stringify(column)} (${role}); its columns are ${schema.fields.map((field) => field.name).join(', ')}`,
        );
      }
    }
    problems.push(...columnTypeProblems(view, source, schema, name));
    if (source.filter !== undefined) {
      try {
        bind(source.filter, schema, { table: name });
      } catch (error) {
        if (!FloeError.is(error)) throw error;
        problems.push(`Source ${source.name}: filter: ${error.detail}`);
      }
    }
  }
  return [...new Set(problems)];
}
