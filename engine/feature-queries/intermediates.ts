import { quoteIdentifier as q } from '../sql.js';

/** Intermediate expressions of a plan, each named once however many outputs use it. */
export function intermediates(): { readonly add: (sql: string) => string; readonly list: () => string } {
  const named = new Map<string, string>();
  return {
    add: (sql) => {
      const existing = named.get(sql);
      if (existing !== undefined) return existing;
      const name = q(`__floe_a${named.size}`);
      named.set(sql, name);
      return name;
    },
    list: () => [...named].map(([sql, name]) => `${sql} AS ${name}`).join(', '),
  };
}
