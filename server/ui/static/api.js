// The UI's calls to /ui/api/…, with the token the person signed in with.

const TOKEN_KEY = 'floe.token';

/** The server refused the call (401: no or a bad token; 403: the token may not read). */
export class Refused extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function signedIn() {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

/** GETs a JSON route of the UI; a 401 or 403 is a Refused with the server's reason. */
export async function getJson(route) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(route, { headers: token === null ? {} : { authorization: `Bearer ${token}` }, cache: 'no-store' });
  if (response.ok) return response.json();
  const message = await errorMessage(response);
  if (response.status === 401 || response.status === 403) throw new Refused(response.status, message);
  throw new Error(message);
}

/** POSTs a JSON body to a route of the UI (an action); a 401 or 403 is a Refused with the server's reason. */
export async function postJson(route, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(route, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.ok) return response.json();
  const message = await errorMessage(response);
  if (response.status === 401 || response.status === 403) throw new Refused(response.status, message);
  throw new Error(message);
}

/** The message of the server's error body (Feast's error detail: a JSON string holding `{message, …}`). */
async function errorMessage(response) {
  const text = await response.text();
  try {
    const detail = JSON.parse(JSON.parse(text));
    if (typeof detail.message === 'string') return detail.message;
  } catch {
    // Not Feast's error detail: the text itself.
  }
  return `${response.status} ${text}`;
}

/** Whether `who` (the whoami answer) may start workflows for the view (undefined: for every view, as a table that is no view's needs). */
export function mayMaterialize(who, featureView) {
  const allowed = who.mayMaterialize;
  return allowed === true || (Array.isArray(allowed) && featureView !== undefined && allowed.includes(featureView));
}
