/**
 * Before any time is taken: the same POST /get-online-features body sent to every server must get
 * the same answer (feature names, values, statuses and event times), else the benchmark fails.
 */

/** Feast's response body, as Floe's server and Feast's write it. */
export interface FeastAnswer {
  readonly metadata: { readonly feature_names: readonly string[] };
  readonly results: readonly {
    readonly values: readonly unknown[];
    readonly statuses: readonly string[];
    readonly event_timestamps: readonly string[];
  }[];
}

export async function askServer(url: string, body: unknown): Promise<FeastAnswer> {
  const response = await fetch(`${url}/get-online-features`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url}/get-online-features answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as FeastAnswer;
}

/** Throws, naming the first difference, unless every server answers `body` as the first one does. */
export async function checkSameAnswers(servers: readonly { name: string; url: string }[], body: unknown): Promise<void> {
  const [reference, ...others] = servers;
  if (reference === undefined) return;
  const expected = await askServer(reference.url, body);
  for (const other of others) {
    const difference = firstDifference(expected, await askServer(other.url, body));
    if (difference !== undefined) throw new Error(`${other.name} answers differently from ${reference.name}: ${difference}`);
  }
}

/**
 * Columns are matched by feature name (Feast over Redis answers in its own column order). A
 * missing entity must read null everywhere; its status may be PRESENT instead of NOT_FOUND, as
 * Feast's Redis store reports it (with a null value), so statuses are compared for found rows only.
 */
export function firstDifference(expected: FeastAnswer, actual: FeastAnswer): string | undefined {
  const names = expected.metadata.feature_names;
  const actualNames = actual.metadata.feature_names;
  if (JSON.stringify([...names].sort()) !== JSON.stringify([...actualNames].sort()))
    return `feature names ${JSON.stringify(actualNames)}, expected ${JSON.stringify(names)}`;
  for (const [column, name] of names.entries()) {
    const want = expected.results[column]!;
    const got = actual.results[actualNames.indexOf(name)];
    if (got === undefined || got.values.length !== want.values.length)
      return `${name}: ${got?.values.length ?? 0} values, expected ${want.values.length}`;
    for (let row = 0; row < want.values.length; row++) {
      const where = `${name} of entity row ${row} (driver_id ${String(expected.results[0]?.values[row])})`;
      if (comparable(got.values[row]) !== comparable(want.values[row]))
        return `${where} is ${JSON.stringify(got.values[row])}, expected ${JSON.stringify(want.values[row])}`;
      const missing = want.statuses[row] === 'NOT_FOUND' || got.statuses[row] === 'NOT_FOUND';
      if (missing ? want.values[row] !== null : got.statuses[row] !== want.statuses[row])
        return `${where} has status ${got.statuses[row]}, expected ${want.statuses[row]}`;
      if (!missing && Date.parse(got.event_timestamps[row] ?? '') !== Date.parse(want.event_timestamps[row] ?? ''))
        return `${where} has event time ${got.event_timestamps[row]}, expected ${want.event_timestamps[row]}`;
    }
  }
  return undefined;
}

/** A 64-bit integer may be a JSON number or a string (protobuf's JSON form); both read as the same number here. */
function comparable(value: unknown): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return `number:${value}`;
  if (typeof value === 'number') return `number:${String(value)}`;
  return JSON.stringify(value) ?? 'undefined';
}
