import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerPermissions } from '../../features/config.js';
import type { Authentication, Authenticator, Caller } from './authenticator.js';
import { InvalidCredentials } from './authenticator.js';
import { feastErrorJson } from '../feast-response.js';
import { isRecord } from '../../core/is-record.js';

/** What a read asks for: the feature views (of `features`) and the feature service it names. */
export interface ReadNeeds {
  readonly views: readonly string[];
  readonly featureService?: string;
}

/**
 * Who may call a route; every route of the feature server declares one in its `config.permission`
 * (a route without one is refused when it is added, so nothing is reachable by accident). `open`:
 * anyone; `metrics`: any caller who may read, or anyone with `server.auth.metricsOpen`; `browse`:
 * any caller who may read something (the web UI's data); `read` and
 * `push`: what the parsed body asks for, checked before the handler runs.
 */
export type RoutePermission =
  | { readonly kind: 'open' }
  | { readonly kind: 'metrics' }
  /** The web UI's data (`/ui/api/…`): any caller who may read something; what each sees is cut to what they may read. */
  | { readonly kind: 'browse' }
  | { readonly kind: 'read'; readonly needs: (body: unknown) => ReadNeeds }
  | { readonly kind: 'push'; readonly pushSource: (body: unknown) => string | undefined }
  | { readonly kind: 'write'; readonly featureView: (body: unknown) => string | undefined }
  /** `featureViews` undefined: every view (Feast's materialize without `feature_views`). */
  | { readonly kind: 'materialize'; readonly featureViews: (body: unknown) => readonly string[] | undefined };

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: RoutePermission;
  }
  interface FastifyRequest {
    caller?: Caller;
  }
}

export interface RouteGuardOptions {
  /** Without one, every route is open. */
  readonly authenticator?: Authenticator;
  readonly metricsOpen?: boolean;
}

/**
 * One check for every route, keyed by the route's declared permission: a 401 with
 * `WWW-Authenticate: Bearer` for missing or bad credentials (before the body is read), a 403 naming
 * the view, feature service or push source the caller may not use (once the body is parsed, before
 * the handler). Install before the routes.
 */
export function guardRoutes(app: FastifyInstance, options: RouteGuardOptions): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.permission === undefined)
      throw new Error(
        `The feature server route ${String(route.method)} ${route.url} declares no permission (config.permission); every route must say who may call it`,
      );
  });
  const { authenticator } = options;
  if (authenticator === undefined) return;

  app.decorateRequest('caller', undefined);
  // Callback hooks, not async ones: a static token is checked at once, and two promises per request
  // were most of what auth cost a 1-key read.
  app.addHook('onRequest', (request, reply, done) => {
    // Unknown routes (the 404 handler) declare nothing: they answer only callers who prove who they are.
    const permission = request.routeOptions.config.permission;
    if (permission?.kind === 'open' || (permission?.kind === 'metrics' && options.metricsOpen === true)) return done();
    const admit = (caller: Authentication): void => {
      if (caller instanceof InvalidCredentials) {
        unauthorized(reply, caller.reason, request.headers.authorization !== undefined);
        return;
      }
      request.caller = caller;
      if (permission?.kind === 'metrics' && caller.permissions.read === false) {
        forbidden(reply, `${caller.name} may not read, which GET /metrics needs`);
        return;
      }
      done();
    };
    const authentication = authenticator.authenticate(request.headers.authorization, request.raw.socket);
    if (authentication instanceof Promise) authentication.then(admit, done);
    else admit(authentication);
  });
  app.addHook('preHandler', (request, reply, done) => {
    const permission = request.routeOptions.config.permission;
    const caller = request.caller;
    if (caller === undefined || permission === undefined) return done();
    const missing = missingPermission(caller.permissions, permission, request.body);
    if (missing === undefined) return done();
    forbidden(reply, `${caller.name} may not ${missing}`);
  });
}

/** What the caller lacks to call a route with this body, said as what they may not do; undefined when nothing. */
function missingPermission(permissions: ServerPermissions, permission: RoutePermission, body: unknown): string | undefined {
  switch (permission.kind) {
    case 'browse':
      return permissions.read === false ? 'read, which the web UI needs' : undefined;
    case 'read':
      return permissions.read === true ? undefined : missingRead(permissions, permission.needs(body));
    case 'push':
      return missingPush(permissions, permission.pushSource(body));
    case 'write': {
      const view = permission.featureView(body);
      if (view === undefined) return permissions.write.length > 0 ? undefined : 'write to online stores';
      return permissions.write.includes(view) ? undefined : `write to the online store of feature view ${view}`;
    }
    case 'materialize': {
      const { materialize } = permissions;
      if (materialize === true) return undefined;
      const views = permission.featureViews(body);
      if (views === undefined) return 'materialize every feature view';
      const view = views.find((name) => materialize === false || !materialize.includes(name));
      return view === undefined ? undefined : `materialize feature view ${view}`;
    }
    default:
      return undefined;
  }
}

/** What a caller lacks to read what `needs` names, said as what they may not do; undefined when nothing (the offline endpoint checks reads with it too). */
export function missingRead(permissions: ServerPermissions, needs: ReadNeeds): string | undefined {
  const { read } = permissions;
  if (read === true) return undefined;
  if (read === false) return `read${needs.featureService === undefined ? '' : ` feature service ${needs.featureService}`}`;
  if (needs.featureService !== undefined && !read.featureServices.includes(needs.featureService))
    return `read feature service ${needs.featureService}`;
  const view = needs.views.find((name) => !read.views.includes(name));
  return view === undefined ? undefined : `read feature view ${view}`;
}

function missingPush(permissions: ServerPermissions, pushSource: string | undefined): string | undefined {
  if (pushSource === undefined) return permissions.push.length > 0 ? undefined : 'push';
  return permissions.push.includes(pushSource) ? undefined : `push to push source ${pushSource}`;
}

function unauthorized(reply: FastifyReply, reason: string, presented: boolean): FastifyReply {
  return reply
    .code(401)
    .header('www-authenticate', presented ? 'Bearer realm="floe", error="invalid_token"' : 'Bearer realm="floe"')
    .type('application/json')
    .send(feastErrorJson(401, 'unauthorized', `The feature server needs credentials: ${reason}`));
}

function forbidden(reply: FastifyReply, message: string): FastifyReply {
  return reply
    .code(403)
    .type('application/json')
    .send(feastErrorJson(403, 'forbidden', message));
}

/** The read needs of a Feast `POST /get-online-features` body; a malformed body needs nothing here and is refused by its parser. */
export function feastReadNeeds(body: unknown): ReadNeeds {
  if (!isRecord(body)) return { views: [] };
  const { features, feature_service: featureService } = body as Record<string, unknown>;
  const views = Array.isArray(features)
    ? [
        ...new Set(
          features.filter((reference): reference is string => typeof reference === 'string').map((reference) => reference.split(':')[0]!),
        ),
      ]
    : [];
  return { views, ...(typeof featureService === 'string' ? { featureService } : {}) };
}

/** The push source a Feast `POST /push` body names. */
export function feastPushSource(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const name = (body as Record<string, unknown>)['push_source_name'];
  return typeof name === 'string' ? name : undefined;
}

/** The feature view a Feast `POST /write-to-online-store` body names. */
export function feastWriteFeatureView(body: unknown): string | undefined {
  if (!isRecord(body)) return undefined;
  const name = (body as Record<string, unknown>)['feature_view_name'];
  return typeof name === 'string' ? name : undefined;
}

/** The feature views a Feast `POST /materialize` or `/materialize-incremental` body names; undefined (every view) without `feature_views`. */
export function feastMaterializeFeatureViews(body: unknown): readonly string[] | undefined {
  if (!isRecord(body)) return undefined;
  const views = (body as Record<string, unknown>)['feature_views'];
  if (!Array.isArray(views) || views.length === 0) return undefined;
  return views.map(String);
}

/** The feature view a web UI action's body names (`featureView`); undefined (so every view) when it names a table instead. */
export function uiActionFeatureViews(body: unknown): readonly string[] | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const view = (body as Record<string, unknown>)['featureView'];
  return typeof view === 'string' ? [view] : undefined;
}

/** The permissions of the feature server's routes: give each new route one of these (or a new one). */
export const ROUTE_PERMISSIONS = {
  open: { kind: 'open' },
  metrics: { kind: 'metrics' },
  browse: { kind: 'browse' },
  feastRead: { kind: 'read', needs: feastReadNeeds },
  feastPush: { kind: 'push', pushSource: feastPushSource },
  feastWrite: { kind: 'write', featureView: feastWriteFeatureView },
  feastMaterialize: { kind: 'materialize', featureViews: feastMaterializeFeatureViews },
  /** A web UI action (compact, backfill) on a view needs materialize for it; on another table (a source, dead letters), materialize for every view. */
  uiAction: { kind: 'materialize', featureViews: uiActionFeatureViews },
} as const satisfies Record<string, RoutePermission>;
