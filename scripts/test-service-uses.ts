/**
 * The services a test file uses, found statically, for the check that it declares them
 * (scripts/test-services.ts): the test/support/services.ts accessors it refers to and the
 * scripts/services modules of a service it reaches into (to start one of its own). The scan follows
 * what runs: the whole test file, and in each test/ or bench/ module it imports, the top-level
 * statements (they run on import) and the exports it names, with whatever those refer to in turn.
 * A helper module's other exports are left out, so importing one helper does not count the
 * services of its neighbours. Types run nothing and are skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from './services/paths.js';
import { SERVICE_NAMES, type ServiceName } from './services/service.js';

/** The test/support/services.ts accessors, by the service each reads. */
export const ACCESSOR_SERVICES: Readonly<Record<string, ServiceName>> = {
  temporalService: 'temporal',
  s3Service: 'minio',
  restCatalogService: 'rest-catalog',
  nessieCatalogService: 'nessie',
  pythonOracle: 'python',
  oldFeastPython: 'python',
  javaOracleService: 'java-oracle',
  postgresService: 'postgres',
  nginxExecutable: 'nginx',
  chromiumExecutable: 'chromium',
  redisUrl: 'redis',
  kafkaBrokers: 'kafka',
};

/** scripts/services modules that start (or are) a service, for the tests that start one of their own. */
const SERVICE_MODULES: Readonly<Record<string, ServiceName>> = {
  ...Object.fromEntries(SERVICE_NAMES.map((name) => [`scripts/services/${name}.ts`, name])),
  // Installed with the broker; a test starts it beside the stack's broker.
  'scripts/services/kafka-connect.ts': 'kafka',
};

/** The folders whose modules the scan follows: the tests' own helpers and the benchmarks they reuse. */
const SCANNED_FOLDERS = ['test/', 'bench/'];
const ACCESSORS_FILE = 'test/support/services.ts';

export interface ServiceUse {
  service: ServiceName;
  /** Where the use was found: `<module> calls temporalService()` or `<module> imports scripts/services/minio.ts`. */
  where: string;
}

/** What runs when a module is imported, what runs only when named, and where its names come from. */
interface ModuleIndex {
  body: ts.Node[];
  declarations: Map<string, ts.Node>;
  imports: Map<string, { module: string; name: string }>;
  reExports: Map<string, { module: string; name: string }>;
  starReExports: string[];
  /** Modules imported for their side effects: their top-level statements run. */
  sideEffectImports: string[];
}

/** `name` is an export, or BODY (the top-level statements), or ALL (everything: a namespace or dynamic import). */
const BODY = '\0body';
const ALL = '\0all';

export function usedServices(file: string, root: string = repoRoot): ServiceUse[] {
  const uses = new Map<ServiceName, string>();
  const indexes = new Map<string, ModuleIndex>();
  const seen = new Set<string>();
  const queue: { module: string; name: string; from: string }[] = [{ module: file, name: ALL, from: file }];
  const reach = (module: string, name: string, from: string): void => {
    const service = SERVICE_MODULES[module];
    if (service !== undefined) {
      if (!uses.has(service)) uses.set(service, `${from} imports ${module}`);
      return;
    }
    if (module !== file && !SCANNED_FOLDERS.some((folder) => module.startsWith(folder))) return;
    queue.push({ module, name, from }, { module, name: BODY, from });
  };
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
    const { module, name } = item;
    const key = `${module}\0${name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    let index = indexes.get(module);
    if (index === undefined) {
      index = indexModule(module, root);
      indexes.set(module, index);
    }
    const visit = (node: ts.Node): void => {
      for (const reference of references(node, module, root)) {
        if (typeof reference !== 'string') {
          reach(reference.module, ALL, module);
          continue;
        }
        const service = ACCESSOR_SERVICES[reference];
        if (service !== undefined && module !== ACCESSORS_FILE && !uses.has(service)) uses.set(service, `${module} calls ${reference}()`);
        if (index.declarations.has(reference)) queue.push({ module, name: reference, from: module });
        const imported = index.imports.get(reference);
        if (imported) reach(imported.module, imported.name, module);
      }
    };
    if (name === BODY || name === ALL) {
      index.body.forEach(visit);
      for (const imported of index.sideEffectImports) reach(imported, BODY, module);
    }
    if (name === ALL) {
      index.declarations.forEach((node) => visit(node));
      for (const { module: target, name: exported } of index.reExports.values()) reach(target, exported, module);
      for (const target of index.starReExports) reach(target, ALL, module);
    } else if (name !== BODY) {
      const declared = index.declarations.get(name);
      const reExported = index.reExports.get(name);
      if (declared) visit(declared);
      else if (reExported) reach(reExported.module, reExported.name, module);
      else for (const target of index.starReExports) reach(target, name, module);
    }
  }
  return SERVICE_NAMES.filter((name) => uses.has(name)).map((service) => ({ service, where: uses.get(service) ?? '' }));
}

function indexModule(module: string, root: string): ModuleIndex {
  const index: ModuleIndex = {
    body: [],
    declarations: new Map(),
    imports: new Map(),
    reExports: new Map(),
    starReExports: [],
    sideEffectImports: [],
  };
  const source = ts.createSourceFile(module, readFileSync(join(root, module), 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  for (const statement of source.statements) {
    if (ts.isImportDeclaration(statement)) {
      const target = resolveModule(module, statement.moduleSpecifier, root);
      const clause = statement.importClause;
      if (target === undefined || clause?.isTypeOnly) continue;
      if (clause === undefined) index.sideEffectImports.push(target);
      else {
        if (clause.name) index.imports.set(clause.name.text, { module: target, name: ALL });
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) index.imports.set(bindings.name.text, { module: target, name: ALL });
        else if (bindings)
          for (const element of bindings.elements)
            if (!element.isTypeOnly)
              index.imports.set(element.name.text, { module: target, name: (element.propertyName ?? element.name).text });
      }
    } else if (ts.isExportDeclaration(statement)) {
      const target = statement.moduleSpecifier && resolveModule(module, statement.moduleSpecifier, root);
      if (statement.isTypeOnly) continue;
      if (target === undefined) index.body.push(statement);
      else if (statement.exportClause === undefined) index.starReExports.push(target);
      else if (ts.isNamedExports(statement.exportClause))
        for (const element of statement.exportClause.elements)
          if (!element.isTypeOnly)
            index.reExports.set(element.name.text, { module: target, name: (element.propertyName ?? element.name).text });
    } else if (
      (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
      statement.name
    ) {
      index.declarations.set(statement.name.text, statement);
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const lazy =
          declaration.initializer && (ts.isArrowFunction(declaration.initializer) || ts.isFunctionExpression(declaration.initializer));
        if (ts.isIdentifier(declaration.name)) index.declarations.set(declaration.name.text, declaration);
        // A value computed at the top level runs on import; a function runs when called.
        if (!lazy) index.body.push(declaration);
      }
    } else if (!ts.isInterfaceDeclaration(statement) && !ts.isTypeAliasDeclaration(statement)) {
      index.body.push(statement);
    }
  }
  return index;
}

/** The names a node refers to (types left out), and the modules it imports dynamically. */
function references(node: ts.Node, module: string, root: string): (string | { module: string })[] {
  const found: (string | { module: string })[] = [];
  const walk = (child: ts.Node): void => {
    if (ts.isTypeNode(child) || ts.isInterfaceDeclaration(child) || ts.isTypeAliasDeclaration(child)) return;
    if (ts.isIdentifier(child)) found.push(child.text);
    else if (ts.isCallExpression(child) && child.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [specifier] = child.arguments;
      const target = specifier && ts.isStringLiteral(specifier) ? resolveModule(module, specifier, root) : undefined;
      if (target !== undefined) found.push({ module: target });
    }
    ts.forEachChild(child, walk);
  };
  walk(node);
  return found;
}

/** A relative specifier as the repository's .ts file it names; packages and missing files are undefined. */
function resolveModule(module: string, specifier: ts.Expression, root: string): string | undefined {
  if (!ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) return undefined;
  const absolute = resolve(root, dirname(module), specifier.text);
  const existing = [absolute.replace(/\.js$/, '.ts'), absolute].find((candidate) => candidate.endsWith('.ts') && existsSync(candidate));
  return existing === undefined ? undefined : relative(root, existing);
}
