/**
 * `floe dev` keeping up with edited definitions: on a change of floe.yaml, the definitions module
 * or a project file it imports, the project is loaded afresh and validated; a mistake is one line
 * and the worker and server keep running on the previous definitions. Otherwise it shows what
 * `floe apply` would change, applies it when asked, restarts the worker and server on the new
 * definitions, and says in one line what changed.
 */
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Project } from '../features/project.js';
import { loadProject, PROJECT_FILE } from '../features/project.js';
import type { ApplyPlan } from '../features/registry-store/apply.js';
import { applyDefinitions, planApply } from '../features/registry-store/apply.js';
import type { DefinitionChange } from '../features/registry-store/diff.js';
import { diffDefinitions } from '../features/registry-store/diff.js';
import { storedDefinitions } from '../features/registry-store/document.js';
import { openRuntime } from '../features/runtime.js';
import type { Redactor } from '../core/redaction.js';
import { describePlan } from './commands/plan.js';
import type { DevPorts } from './dev-ports.js';
import { devPorts } from './dev-ports.js';
import type { DevSession } from './dev-session.js';
import type { ProjectWatch } from './dev-watch.js';

/** `--apply`: always; at a terminal: ask; otherwise: never (say how to). */
export type ApplyMode = 'always' | 'ask' | 'never';

export interface ReloadContext {
  readonly directory: string;
  readonly session: DevSession;
  readonly watch: ProjectWatch;
  readonly apply: ApplyMode;
  /** Where Temporal runs: it stays there until dev restarts, whatever floe.yaml says now. */
  readonly ports: DevPorts;
  readonly json: boolean;
}

export interface ReloadOutcome {
  /** reloaded: the worker (and server) run the new definitions; unchanged: nothing to do; rejected: the previous ones keep running. */
  readonly status: 'reloaded' | 'unchanged' | 'rejected';
  /** The files whose change started this reload. */
  readonly files: readonly string[];
  /** What changed against the definitions dev ran before, e.g. `+view trips`, `+feature stats:speed`. */
  readonly changes: readonly string[];
  /** What `floe apply` would change (or changed), when it would change anything. */
  readonly plan?: ApplyPlan;
  readonly applied?: boolean;
  /** The line the pane shows. */
  readonly message: string;
}

export interface LoadedProject {
  readonly project: Project;
  /** floe.yaml, the definitions module and the files of the project it imports. */
  readonly files: ReadonlySet<string>;
}

/**
 * Loads the project afresh, noting the files to watch: floe.yaml and the project's own modules the
 * definitions load. Its secrets go to `redactor`, the process's.
 */
export async function loadWatchedProject(directory: string, redactor: Redactor, files: Set<string> = new Set()): Promise<LoadedProject> {
  const root = path.resolve(directory);
  files.add(path.join(root, PROJECT_FILE));
  const ownFile = (file: string) => !path.relative(root, file).startsWith('..') && !file.split(path.sep).includes('node_modules');
  const project = await loadProject(root, process.env, { fresh: true, redactor, onImport: (file) => ownFile(file) && files.add(file) });
  files.add(project.config.definitions);
  return { project, files };
}

/**
 * The function the watch calls with changed files. Reloads run one at a time; changes that arrive
 * while one runs are gathered into the next.
 */
export function createReloader(context: ReloadContext, watched: ReadonlySet<string>): (files: readonly string[]) => void {
  let queue = Promise.resolve();
  let pending: Set<string> | null = null;
  let watching = new Set(watched);
  return (files) => {
    if (pending) {
      for (const file of files) pending.add(file);
      return;
    }
    pending = new Set(files);
    queue = queue.then(async () => {
      const changed = [...pending!];
      pending = null;
      const found = new Set<string>();
      const outcome = await reload(context, changed, found);
      // A module that failed to load may not have reached its imports yet: keep watching those.
      watching = outcome.status === 'rejected' ? new Set([...watching, ...found]) : found;
      context.watch.watchFiles(watching);
      report(context, outcome);
    });
  };
}

async function reload(context: ReloadContext, changed: readonly string[], found: Set<string>): Promise<ReloadOutcome> {
  const files = changed.map((file) => path.relative(context.directory, file) || file);
  const rejected = (error: unknown): ReloadOutcome => ({
    status: 'rejected',
    files,
    changes: [],
    message: `not reloaded: ${oneLine(error instanceof Error ? error.message : String(error))} (the worker and server keep the previous definitions)`,
  });
  let project: Project;
  try {
    ({ project } = await loadWatchedProject(context.directory, context.session.runtime.project.redactor, found));
  } catch (error) {
    return rejected(error);
  }
  const before = context.session.runtime.project;
  const changes = describeChanges(diffDefinitions(storedDefinitions(before.registry), storedDefinitions(project.registry)));
  const settings = changedSettings(before, project);
  if (settings.length > 0) changes.push(`~${PROJECT_FILE} (${settings.join(', ')})`);
  if (changes.length === 0) {
    return {
      status: 'unchanged',
      files,
      changes,
      message: `unchanged: ${files.join(', ')} saved, the definitions and ${PROJECT_FILE} are as before`,
    };
  }
  const runtime = await openRuntime(project).catch((error: unknown) => error as Error);
  if (runtime instanceof Error) return rejected(runtime);
  let handedOver = false;
  try {
    const plan = await planApply({ config: project.config, registry: project.registry, catalog: runtime.catalog });
    if (plan.problems.length > 0) return rejected(new Error(plan.problems.join('; ')));
    const pending = plan.changes.length > 0 || plan.onlineTables.some((table) => table.action !== 'unchanged');
    if (pending && !context.json)
      console.log(`${files.join(', ')} changed; floe apply would change:\n${project.redactor.redact(describePlan(plan))}`);
    const applied = pending && (context.apply === 'always' || (context.apply === 'ask' && (await confirm('Apply it now? [y/N] '))));
    if (applied) await applyDefinitions({ config: project.config, registry: project.registry, catalog: runtime.catalog });
    handedOver = true;
    await context.session.replace(runtime);
    const notes = [
      !pending
        ? 'registry up to date'
        : applied
          ? 'applied'
          : context.apply === 'ask'
            ? 'not applied: floe apply applies it'
            : 'not applied: floe apply, or floe dev --apply, applies it',
      context.session.featureServer === null ? 'worker restarted' : 'worker and server restarted',
      ...temporalStays(context.ports, project),
    ];
    return {
      status: 'reloaded',
      files,
      changes,
      ...(pending ? { plan, applied } : {}),
      message: `reloaded: ${changes.join(', ')} (${notes.join('; ')})`,
    };
  } catch (error) {
    return rejected(error);
  } finally {
    if (!handedOver) await runtime.close();
  }
}

function report(context: ReloadContext, outcome: ReloadOutcome): void {
  const { redactor } = context.session.runtime.project;
  if (context.json) console.log(redactor.redact(JSON.stringify({ event: 'reload', ...outcome })));
  else if (outcome.status === 'rejected') console.error(`floe dev: ${redactor.redact(outcome.message)}`);
  else console.log(redactor.redact(outcome.message));
}

/** `+view v`, `-entity e`, `+feature v:f`, `~source s (filter)`: each change in a few characters. */
export function describeChanges(changes: readonly DefinitionChange[]): string[] {
  const noun = {
    entity: 'entity',
    source: 'source',
    featureView: 'view',
    featureService: 'service',
    requestSource: 'request source',
    onDemandView: 'on-demand view',
    pushSource: 'push source',
    streamSource: 'stream source',
  } as const;
  return changes.flatMap((change) => {
    const name = `${noun[change.kind]} ${change.name}`;
    if (change.change === 'add') return [`+${name}`];
    if (change.change === 'remove') return [`-${name}`];
    const features = [
      ...(change.featuresAdded ?? []).map((feature) => `+feature ${change.name}:${feature}`),
      ...(change.featuresRemoved ?? []).map((feature) => `-feature ${change.name}:${feature}`),
    ];
    // `features` differs whenever one is added or removed; named only when a feature changed otherwise (its type).
    const fields = (change.fields ?? []).filter((field) => field !== 'features' || features.length === 0);
    return [...features, ...(fields.length > 0 ? [`~${name} (${fields.join(', ')})`] : [])];
  });
}

/** The top-level floe.yaml sections whose settings differ (the definitions path resolved, secrets compared, never printed). */
function changedSettings(before: Project, after: Project): string[] {
  const sections = new Set([...Object.keys(before.config), ...Object.keys(after.config)]);
  const value = (project: Project, key: string) => JSON.stringify((project.config as unknown as Record<string, unknown>)[key]);
  return [...sections].filter((key) => value(before, key) !== value(after, key)).sort();
}

/** Temporal does not move while dev runs: when floe.yaml now puts it elsewhere, say so. */
function temporalStays(ports: DevPorts, project: Project): string[] {
  let wanted: DevPorts | undefined;
  try {
    wanted = devPorts(project.config);
  } catch {
    wanted = undefined;
  }
  if (wanted && wanted.ip === ports.ip && wanted.port === ports.port && wanted.uiPort === ports.uiPort) return [];
  return [
    `Temporal stays at ${ports.ip}:${ports.port} (Web UI ${ports.uiPort}) until floe dev restarts with the new temporal.address and dev.uiPort`,
  ];
}

async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  // At the prompt, Ctrl-C reaches readline, not the process: pass it on so dev stops as it would otherwise.
  prompt.once('SIGINT', () => {
    prompt.close();
    process.kill(process.pid, 'SIGINT');
  });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

/** An error's message as one line: a TypeScript syntax error's code frame folded in, no stack. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^at /.test(line))
    .join(' ');
}
