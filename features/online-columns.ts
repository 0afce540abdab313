// The columns every online table has besides its keys and features (see online-table/layout.ts).
// A module of their own, importing nothing: feature definitions refuse features of these names,
// and the layout, which imports definitions, would otherwise make an import cycle.

export const ONLINE_EVENT_TS = 'event_ts';
export const ONLINE_CREATED_TS = 'created_ts';
export const ONLINE_MATERIALIZED_AT = 'materialized_at';

/** Names a feature may not have: the online table's own columns. */
export const RESERVED_ONLINE_COLUMNS: ReadonlySet<string> = new Set([ONLINE_EVENT_TS, ONLINE_CREATED_TS, ONLINE_MATERIALIZED_AT]);
