// Workflow ids Floe derives, shared by every client (CLI, demo, schedules). Pure functions only.

/** `2024-05-02T00:00:00.000Z` → `20240502T000000Z`: readable, sortable, safe in URLs. */
export function compactInstant(iso: string): string {
  return iso.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * One id per feature view and window, so starting the same window twice finds the first run's
 * commit (its idempotency key is this id plus the window) instead of appending again.
 */
export function materializeWorkflowId(featureView: string, start: string, end: string): string {
  return `materialize-${featureView}-${compactInstant(start)}-${compactInstant(end)}`;
}
