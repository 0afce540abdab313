// The values inside an Avro array, map or record as push values: logical timestamps and dates
// inside become the ISO text a pushed value of a timestamp or date is (as a top-level field's do),
// records become plain objects. Read along the writer's schema, since the decoded value alone is a
// bigint or a number whatever its logical type.

/** What a timestamp or date inside turns into, or the problem with it. */
export interface AvroTimeTexts {
  readonly timestampFromMicros: (micros: bigint) => string | { problem: string };
  readonly dateFromDays: (days: number) => string | { problem: string };
}

/** Every named type (record, enum, fixed) of a schema by its name and its full name, for references to it. */
export function namedAvroTypes(schema: unknown, found = new Map<string, unknown>(), namespace = ''): Map<string, unknown> {
  if (Array.isArray(schema)) {
    for (const branch of schema) namedAvroTypes(branch, found, namespace);
    return found;
  }
  if (schema === null || typeof schema !== 'object') return found;
  const { type, name, namespace: own, fields, items, values } = schema as Record<string, unknown>;
  const space = typeof own === 'string' ? own : namespace;
  if (typeof name === 'string' && (type === 'record' || type === 'enum' || type === 'fixed')) {
    found.set(name, schema);
    if (space !== '' && !name.includes('.')) found.set(`${space}.${name}`, schema);
  }
  if (Array.isArray(fields)) for (const field of fields) namedAvroTypes((field as { type?: unknown }).type, found, space);
  namedAvroTypes(items, found, space);
  namedAvroTypes(values, found, space);
  return found;
}

/**
 * A decoded value of `schema` (an array, map or record, or anything inside one) with its logical
 * times as text and its records as plain objects; the first problem, saying where inside, when a
 * time is out of range. A union of more than one non-null branch is left as decoded.
 */
export function avroNestedValue(
  schema: unknown,
  value: unknown,
  context: { readonly named: ReadonlyMap<string, unknown>; readonly times: AvroTimeTexts },
  at = '',
): unknown {
  if (value === null || value === undefined) return null;
  if (typeof schema === 'string') {
    const named = context.named.get(schema);
    return named === undefined ? value : avroNestedValue(named, value, context, at);
  }
  if (Array.isArray(schema)) {
    const branches = schema.filter((branch) => branch !== 'null');
    return branches.length === 1 ? avroNestedValue(branches[0], value, context, at) : value;
  }
  if (schema === null || typeof schema !== 'object') return value;
  const { type, logicalType, items, values, fields } = schema as Record<string, unknown>;
  const problem = (result: string | { problem: string }) =>
    typeof result === 'string' ? result : { problem: `${at === '' ? '' : `${at}: `}${result.problem}` };
  if (type === 'long' && logicalType === 'timestamp-micros') return problem(context.times.timestampFromMicros(BigInt(value as bigint)));
  if (type === 'long' && logicalType === 'timestamp-millis')
    return problem(context.times.timestampFromMicros(BigInt(value as bigint) * 1000n));
  if (type === 'int' && logicalType === 'date') return problem(context.times.dateFromDays(value as number));
  const parts: [string, unknown][] = [];
  if (type === 'array' && Array.isArray(value)) {
    const converted: unknown[] = [];
    for (const [index, item] of value.entries()) {
      const each = avroNestedValue(items, item, context, `${at}[${index}]`);
      if (isProblem(each)) return each;
      converted.push(each);
    }
    return converted;
  }
  if (type === 'map')
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      parts.push([key, avroNestedValue(values, item, context, `${at}[${JSON.stringify(key)}]`)]);
  else if (type === 'record' && Array.isArray(fields))
    for (const field of fields as { name: string; type: unknown }[])
      parts.push([field.name, avroNestedValue(field.type, (value as Record<string, unknown>)[field.name], context, `${at}.${field.name}`)]);
  else return value;
  const found = parts.find(([, each]) => isProblem(each));
  if (found !== undefined) return found[1];
  // No prototype: a key named __proto__ is a key like any other.
  const object = Object.create(null) as Record<string, unknown>;
  for (const [key, each] of parts) object[key] = each;
  return object;
}

/**
 * Whether a converted value is a problem: a plain `{problem}` object. Converted records have no
 * prototype, so a record with a field named problem is not one.
 */
export function isProblem(value: unknown): value is { problem: string } {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length === 1 &&
    typeof (value as { problem?: unknown }).problem === 'string'
  );
}
