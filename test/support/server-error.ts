/**
 * The error a feature server answer carries: Feast's error detail, a JSON string holding
 * `{module, class, message, error}` (what Feast's client parses). Fails when the body is not one.
 */
export interface ServerError {
  readonly module: string;
  readonly class: string;
  readonly message: string;
  readonly error: string;
}

export function serverError(body: unknown): ServerError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  let outer: unknown;
  try {
    outer = typeof body === 'string' && body.startsWith('"') ? JSON.parse(body) : body;
  } catch {
    throw new Error(`The server's error body is not JSON: ${text}`);
  }
  if (typeof outer !== 'string') throw new Error(`The server's error body is not a JSON string (Feast's error detail): ${text}`);
  const detail = JSON.parse(outer) as ServerError;
  for (const key of ['module', 'class', 'message', 'error'] as const)
    if (typeof detail[key] !== 'string') throw new Error(`The server's error detail has no ${key}: ${outer}`);
  return detail;
}
