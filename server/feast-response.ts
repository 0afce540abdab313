import type { OnlineFeaturesResponse, OnlineValue } from '../features/online/index.js';
import type { IcebergType } from '../iceberg/spec/types.js';

/** What Feast writes for a missing timestamp (a zero protobuf Timestamp). */
export const FEAST_NULL_TIMESTAMP = '1970-01-01T00:00:00Z';

/** RFC 3339 as Feast prints it: no fraction for whole seconds, else 3 or 6 digits. */
export function feastTimestamp(isoMicros: string): string {
  const match = /^(.*T\d\d:\d\d:\d\d)\.(\d{6})Z$/.exec(isoMicros);
  if (!match) return isoMicros;
  const [, base, fraction] = match as unknown as [string, string, string];
  if (fraction === '000000') return `${base}Z`;
  if (fraction.endsWith('000')) return `${base}.${fraction.slice(0, 3)}Z`;
  return `${base}.${fraction}Z`;
}

/** NaN and infinities are not JSON numbers: Feast writes them as protobuf's JSON strings, inside lists and maps too. */
export function jsonSafe(value: OnlineValue): OnlineValue {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  if (typeof value === 'object' && value !== null) {
    if (Array.isArray(value)) return (value as readonly OnlineValue[]).map(jsonSafe);
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, jsonSafe(item)]));
  }
  return value;
}

/**
 * Feast's response layout as JSON (key columns first: PRESENT, epoch timestamps; then one vector per
 * feature), written directly; byte for byte what lossless-json's `stringify` wrote of it before,
 * but for a whole float or double, which gets a fraction (typedValuesJson): lossless-json walks
 * every value in JavaScript, and the vectors a view's features share (statuses, event times) are
 * written once per response here, not once per feature.
 */
export function feastResponseJson(response: OnlineFeaturesResponse, options: { fullFeatureNames: boolean }): string {
  const names: string[] = [];
  const results: string[] = [];
  // Vectors the features of a view share (statuses, event times), written once.
  const written = new Map<readonly unknown[], string>();
  for (const entity of response.entities) {
    names.push(entity.name);
    const count = entity.values.length;
    results.push(
      `{"values":${valuesJson(entity.values)},"statuses":${repeatedJson('"PRESENT"', count)},"event_timestamps":${repeatedJson(`"${FEAST_NULL_TIMESTAMP}"`, count)}}`,
    );
  }
  for (const feature of response.features) {
    names.push(options.fullFeatureNames ? `${feature.featureView}__${feature.feature}` : feature.feature);
    let statuses = written.get(feature.statuses);
    if (statuses === undefined) written.set(feature.statuses, (statuses = JSON.stringify(feature.statuses)));
    let timestamps = written.get(feature.eventTimestamps);
    if (timestamps === undefined) written.set(feature.eventTimestamps, (timestamps = timestampsJson(feature.eventTimestamps)));
    const values = holdsFloats(feature.type) ? typedValuesJson(feature.values, feature.type) : valuesJson(feature.values, jsonSafe);
    results.push(`{"values":${values},"statuses":${statuses},"event_timestamps":${timestamps}}`);
  }
  return `{"metadata":{"feature_names":${JSON.stringify(names)}},"results":[${results.join(',')}]}`;
}

/**
 * A vector of values as JSON: bigints as their digits (what lossless-json writes), the rest as
 * JSON.stringify does; with `jsonSafe`, NaN and infinities as Feast's strings (feature values, not keys).
 */
function valuesJson(values: readonly OnlineValue[], safe: (value: OnlineValue) => OnlineValue = (value) => value): string {
  // One key's value, the most common read, without a pass to look for values that need care.
  if (values.length === 1) return `[${valueJson(safe(values[0]!))}]`;
  if (!values.some((value) => typeof value === 'bigint' || (typeof value === 'object' && value !== null) || safe(value) !== value))
    return JSON.stringify(values);
  let json = '[';
  for (let index = 0; index < values.length; index++) {
    if (index > 0) json += ',';
    json += valueJson(safe(values[index]!));
  }
  return `${json}]`;
}

/** Whether a float or double is in the type, at its top or inside. */
function holdsFloats(type: IcebergType): boolean {
  if (typeof type === 'string') return type === 'float' || type === 'double';
  switch (type.type) {
    case 'list':
      return holdsFloats(type.element);
    case 'map':
      return holdsFloats(type.value);
    case 'struct':
      return type.fields.some((field) => holdsFloats(field.type));
  }
}

/**
 * Values as JSON in their type, a whole float or double with a fraction (`4.0`) as Feast's server
 * writes a Python float: Feast's client types each value by its JSON, so `4` would come back an
 * int, and a list holding `[0.5, 4]` would be refused as of mixed types.
 */
function typedValuesJson(values: readonly OnlineValue[], type: IcebergType): string {
  return `[${values.map((value) => typedValueJson(jsonSafe(value), type)).join(',')}]`;
}

function typedValueJson(value: OnlineValue, type: IcebergType): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value !== 'number' || (type !== 'float' && type !== 'double')) return valueJson(value);
    // Finite here (jsonSafe made NaN and infinities text): a fraction or an exponent already shows it is no integer.
    if (!Number.isInteger(value) || Math.abs(value) >= 1e21) return String(value);
    return Object.is(value, -0) ? '-0.0' : `${value}.0`;
  }
  if (typeof type === 'string') return valueJson(value);
  switch (type.type) {
    case 'list':
      return `[${(value as readonly OnlineValue[]).map((item) => typedValueJson(item, type.element)).join(',')}]`;
    case 'map':
      return objectJson(value as Readonly<Record<string, OnlineValue>>, () => type.value);
    case 'struct':
      return objectJson(value as Readonly<Record<string, OnlineValue>>, (name) => type.fields.find((field) => field.name === name)!.type);
  }
}

function objectJson(value: Readonly<Record<string, OnlineValue>>, typeOf: (key: string) => IcebergType): string {
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}:${typedValueJson(item, typeOf(key))}`)
    .join(',')}}`;
}

/** A value as JSON, bigints as their digits wherever they are in a list, map or struct. */
function valueJson(value: OnlineValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${(value as readonly OnlineValue[]).map(valueJson).join(',')}]`;
  return `{${Object.entries(value)
    .map(([key, item]) => `${JSON.stringify(key)}:${valueJson(item)}`)
    .join(',')}}`;
}

/** Event times as Feast prints them; an aggregated view's are all one instant, converted once. */
function timestampsJson(timestamps: readonly (string | null)[]): string {
  let previous: string | null | undefined;
  let printed = '';
  return JSON.stringify(
    timestamps.map((timestamp) => {
      if (timestamp !== previous) {
        previous = timestamp;
        printed = timestamp === null ? FEAST_NULL_TIMESTAMP : feastTimestamp(timestamp);
      }
      return printed;
    }),
  );
}

function repeatedJson(item: string, count: number): string {
  return count === 0 ? '[]' : `[${Array.from({ length: count }, () => item).join(',')}]`;
}

/**
 * An error as Feast's feature server writes it: a JSON string holding `{"module", "class",
 * "message"}`, which Feast's Python client (`FeastError.from_error_detail`) raises as that Feast
 * exception with the message kept. `error` is Floe's kind of the error, for callers that branch on it.
 */
export function feastErrorJson(status: number, error: string, message: string): string {
  const detail = {
    module: 'feast.errors',
    class: status === 404 ? 'FeastObjectNotFoundException' : 'FeastError',
    message,
    error,
  };
  return JSON.stringify(JSON.stringify(detail));
}
