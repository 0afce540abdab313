/**
 * A generated project the size #57 measures the web UI at: 50 Iceberg sources, each with a push
 * source and a stream source; 500 scheduled feature views (ten per source) and 50 feature services,
 * over a SQLite catalog. One view is materialized (so its source table and online table exist);
 * the others have no online table yet. The feature server with the UI on it, clock pinned at NOW.
 */
import path from 'node:path';
import { defineEntity, defineFeatureService, defineFeatureView, defineIcebergSource } from '../../../features/definitions.js';
import { materializeWindow } from '../../../features/materialize/index.js';
import { OnlineStore } from '../../../features/online/index.js';
import { definePushSource } from '../../../features/push-source.js';
import type { Definition } from '../../../features/registry.js';
import { defineStreamSource } from '../../../features/stream-source.js';
import { createFeatureServer } from '../../../server/feature-server.js';
import type { RunsSource } from '../../../server/ui/runs.js';
import { appendSource, createEmptySourceTable } from '../online/online-view.js';
import { featureContext, testRuntime } from '../runtime.js';
import type { UiServer } from './ui-project.js';
import { CONSISTENCY_TABLE, NOW, UI_AUTH, WATERMARK } from './ui-project.js';

export const SCALE = { sources: 50, viewsPerSource: 10 } as const;
const HOUR = 3_600_000;

const pad = (index: number): string => String(index).padStart(3, '0');
export const sourceName = (index: number): string => `source_${pad(index)}`;
export const viewName = (source: number, view: number): string => `view_${pad(source)}_${view}`;

export function scaleDefinitions(): Definition[] {
  const definitions: Definition[] = [defineEntity({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'long' }] })];
  for (let source = 0; source < SCALE.sources; source++) {
    definitions.push(
      defineIcebergSource({
        name: sourceName(source),
        table: `rides.table_${pad(source)}`,
        timestampField: 'event_timestamp',
        createdTimestampField: 'created',
        tags: { team: `team_${source % 5}` },
      }),
      definePushSource({ name: `push_${pad(source)}`, batchSource: sourceName(source) }),
      defineStreamSource({
        name: `stream_${pad(source)}`,
        pushSource: `push_${pad(source)}`,
        kafka: { brokers: ['127.0.0.1:9092'], topic: `topic_${pad(source)}` },
      }),
    );
    const views: string[] = [];
    for (let view = 0; view < SCALE.viewsPerSource; view++) {
      views.push(viewName(source, view));
      definitions.push(
        defineFeatureView({
          name: viewName(source, view),
          entities: ['driver'],
          source: sourceName(source),
          features: [
            { name: 'conv_rate', type: 'double' },
            { name: 'trips', type: 'long' },
          ],
          schedule: { every: { hours: 1 + (view % 3) } },
          online: { buckets: 4 },
          owner: `owner_${view}@rides`,
        }),
      );
    }
    definitions.push(defineFeatureService({ name: `service_${pad(source)}`, features: views.slice(0, 3) }));
  }
  return definitions;
}

/** The generated project in `directory` and the feature server with the UI on it (admin token UI_TOKENS.admin; runs from `runs`). */
export async function startScaleUiServer(directory: string, options: { runs?: RunsSource } = {}): Promise<UiServer> {
  const runtime = await testRuntime({
    directory,
    catalog: {
      type: 'sql',
      uri: `sqlite:///${path.join(directory, 'catalog.db')}`,
      warehouse: `file://${path.join(directory, 'warehouse')}`,
    },
    definitions: scaleDefinitions(),
  });
  const context = featureContext(runtime);
  await createEmptySourceTable(runtime.catalog, 'rides.table_000');
  await appendSource(context, 'rides.table_000', [
    { driver_id: 1001, conv_rate: 0.5, trips: 7, event: WATERMARK - 2 * HOUR, created: WATERMARK - 2 * HOUR },
  ]);
  await materializeWindow(context, viewName(0, 0), { start: new Date(WATERMARK - 24 * HOUR), end: new Date(WATERMARK) }, 'ui-scale');
  const store = new OnlineStore({ registry: runtime.project.registry, catalog: runtime.catalog, engine: runtime.engine, clock: () => NOW });
  const server = createFeatureServer({
    store,
    auth: UI_AUTH,
    ui: {
      project: 'rides',
      registry: runtime.project.registry,
      freshness: () => store.freshness(),
      clock: () => NOW,
      catalog: runtime.catalog,
      consistencyTable: CONSISTENCY_TABLE,
      ...(options.runs === undefined ? {} : { runs: options.runs }),
    },
  });
  const url = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    runtime,
    server,
    url,
    async close() {
      await server.close();
      await runtime.close();
    },
  };
}
