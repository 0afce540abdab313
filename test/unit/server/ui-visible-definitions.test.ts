// What the web UI shows a caller: everything with read: true (or without auth); with a list of views
// and feature services, those, what the services and on-demand views are built from, and the
// entities and sources behind them, and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from '../../../features/registry.js';
import { visibleNames } from '../../../server/ui/visible-definitions.js';
import type { VisibleNames } from '../../../server/ui/visible-definitions.js';
import { uiDefinitions } from '../../support/ui/ui-project.js';

const registry = new Registry(uiDefinitions());

function sorted(visible: VisibleNames): Record<string, string[]> {
  return Object.fromEntries(Object.entries(visible).map(([kind, names]) => [kind, [...(names as Set<string>)].sort()]));
}

const everything = {
  featureViews: ['driver_hourly', 'driver_live', 'driver_quick', 'driver_trip_totals'],
  onDemandViews: ['ride_score'],
  featureServices: ['eta_model'],
  entities: ['driver'],
  sources: ['driver_source'],
  pushSources: ['driver_push'],
  streamSources: ['driver_stream'],
  requestSources: ['ride_request'],
};

test('without auth, and with read: true, everything', () => {
  assert.deepEqual(sorted(visibleNames(registry, undefined)), everything);
  assert.deepEqual(sorted(visibleNames(registry, { read: true, push: [], write: [], materialize: false })), everything);
});

test('a feature service brings the views it projects, the on-demand view and its inputs, and what feeds them', () => {
  const visible = visibleNames(registry, { read: { views: [], featureServices: ['eta_model'] }, push: [], write: [], materialize: false });
  assert.deepEqual(sorted(visible), {
    featureViews: ['driver_hourly'],
    onDemandViews: ['ride_score'],
    featureServices: ['eta_model'],
    entities: ['driver'],
    sources: ['driver_source'],
    pushSources: [],
    streamSources: [],
    requestSources: ['ride_request'],
  });
});

test('a view fed by a push source brings the push source, its stream and its batch source; read: false sees nothing', () => {
  const live = visibleNames(registry, { read: { views: ['driver_live'], featureServices: [] }, push: [], write: [], materialize: false });
  assert.deepEqual(sorted(live), {
    featureViews: ['driver_live'],
    onDemandViews: [],
    featureServices: [],
    entities: ['driver'],
    sources: ['driver_source'],
    pushSources: ['driver_push'],
    streamSources: ['driver_stream'],
    requestSources: [],
  });
  const none = visibleNames(registry, { read: false, push: ['driver_push'], write: [], materialize: false });
  assert.deepEqual(Object.values(sorted(none)).flat(), []);
});
