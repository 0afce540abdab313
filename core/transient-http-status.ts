/** Whether an HTTP error status may pass by trying again: a server error (5xx), 429 Too Many Requests or 408 Request Timeout. */
export function isTransientHttpStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}
