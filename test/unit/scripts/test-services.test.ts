/**
 * The services each test file declares on its first line, and what `npm test` starts for a run:
 * the parser, the union with dependencies, the static scan of what a file uses, and the check that
 * every integration and e2e file of the repository declares what it uses.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../../../scripts/services/paths.js';
import { SERVICE_NAMES, withDependencies, type ServiceName } from '../../../scripts/services/service.js';
import { ACCESSOR_SERVICES, usedServices } from '../../../scripts/test-service-uses.js';
import { declaredServices, nextWave, SERVICE_TEST_FOLDERS, servicesByFile, servicesToStart } from '../../../scripts/test-services.js';
import { scratchFolder } from '../../support/scratch-folder.js';

const FILE = 'test/integration/x.test.ts';

describe('declaredServices', () => {
  it('reads the names of the first line, or none', () => {
    assert.deepEqual(declaredServices(FILE, '// services: temporal, rest-catalog\nimport x;\n'), ['temporal', 'rest-catalog']);
    assert.deepEqual(declaredServices(FILE, '// services: kafka'), ['kafka']);
    assert.deepEqual(declaredServices(FILE, '// services: none\n'), []);
  });

  it('refuses a file without the line, naming the file and the form expected', () => {
    assert.throws(
      () => declaredServices(FILE, '/**\n * A test.\n */\n// services: temporal\n'),
      /^Error: test\/integration\/x\.test\.ts: the first line must declare the services the file needs, e\.g\. `\/\/ services: temporal, rest-catalog` \(or `\/\/ services: none`\); found "\/\*\*"$/,
    );
    assert.throws(() => declaredServices(FILE, ''), /x\.test\.ts: the first line must declare/);
    assert.throws(() => declaredServices(FILE, '//services: temporal\n'), /the first line must declare/);
  });

  it('refuses an unknown name, an empty list, none beside a name and a name twice', () => {
    assert.throws(
      () => declaredServices(FILE, '// services: temporal, s3\n'),
      new RegExp(`x\\.test\\.ts: unknown service "s3" in "// services:"; expected none or some of ${SERVICE_NAMES.join(', ')}$`),
    );
    assert.throws(() => declaredServices(FILE, '// services: kafka-connect\n'), /unknown service "kafka-connect"/);
    assert.throws(() => declaredServices(FILE, '// services: \n'), /x\.test\.ts: "\/\/ services:" names no service/);
    assert.throws(() => declaredServices(FILE, '// services: none, temporal\n'), /unknown service "none"/);
    assert.throws(() => declaredServices(FILE, '// services: minio, minio\n'), /x\.test\.ts: "\/\/ services:" names minio twice/);
  });
});

describe('withDependencies', () => {
  it('adds MinIO to the REST catalog, in SERVICE_NAMES order, each once', () => {
    assert.deepEqual(withDependencies(['rest-catalog']), ['minio', 'rest-catalog']);
    assert.deepEqual(withDependencies(['kafka', 'rest-catalog', 'temporal', 'minio']), ['temporal', 'minio', 'rest-catalog', 'kafka']);
    assert.deepEqual(withDependencies(['python']), ['python']);
  });

  it('asks for nothing when nothing is named', () => {
    assert.deepEqual(withDependencies([]), []);
  });
});

describe('servicesByFile and servicesToStart', () => {
  const sources: Record<string, string> = {
    'test/unit/a.test.ts': 'import x;\n',
    'test/replay/replay.test.ts': 'import x;\n',
    'test/integration/online/b.test.ts': '// services: rest-catalog\n',
    'test/integration/pipelines/c.test.ts': '// services: temporal, python\n',
    'test/integration/engine/d.test.ts': '// services: none\n',
    'test/e2e/e.test.ts': '// services: temporal, chromium\n',
  };
  const read = (file: string): string => sources[file] ?? assert.fail(`read ${file}`);

  it('gives unit and replay files no services, without reading them', () => {
    const byFile = servicesByFile(['test/unit/a.test.ts', 'test/replay/replay.test.ts', 'test/unit/unread.test.ts'], read);
    assert.deepEqual([...byFile.values()], [[], [], []]);
    assert.deepEqual(servicesToStart(byFile), []);
  });

  it('starts the union of the selected files, with what those need', () => {
    assert.deepEqual(servicesToStart(servicesByFile(Object.keys(sources), read)), [
      'temporal',
      'minio',
      'rest-catalog',
      'python',
      'chromium',
    ]);
    assert.deepEqual(servicesToStart(servicesByFile(['test/integration/online/b.test.ts'], read)), ['minio', 'rest-catalog']);
    assert.deepEqual(servicesToStart(servicesByFile(['test/integration/engine/d.test.ts', 'test/unit/a.test.ts'], read)), []);
  });

  it('reports every file without a valid declaration at once', () => {
    const broken: Record<string, string> = {
      'test/integration/one.test.ts': '/** no line */\n',
      'test/integration/two.test.ts': '// services: temporal\n',
      'test/e2e/three.test.ts': '// services: mongo\n',
    };
    assert.throws(
      () => servicesByFile(Object.keys(broken), (file) => broken[file] ?? ''),
      (error: Error) => {
        const lines = error.message.split('\n');
        assert.equal(lines.length, 2, error.message);
        assert.match(lines[0] ?? '', /^test\/integration\/one\.test\.ts: the first line must declare/);
        assert.match(lines[1] ?? '', /^test\/e2e\/three\.test\.ts: unknown service "mongo"/);
        return true;
      },
    );
  });
});

describe('nextWave', () => {
  const declared = new Map<string, ServiceName[]>([
    ['python.test.ts', ['python']],
    ['java.test.ts', ['python', 'java-oracle']],
    ['rest.test.ts', ['rest-catalog']],
    ['temporal.test.ts', ['temporal']],
  ]);
  const pending = [...declared.keys()];
  const stack = (up: ServiceName[], quietMs: number, settled = false) => ({ up: new Set<string>(up), settled, quietMs });

  it('takes the files whose services are all up, once none has come up for the settle time', () => {
    assert.deepEqual(nextWave(pending, declared, stack(['python', 'java-oracle', 'temporal'], 60_000), 60_000), [
      'python.test.ts',
      'java.test.ts',
      'temporal.test.ts',
    ]);
    assert.deepEqual(nextWave(pending, declared, stack(['python', 'java-oracle', 'temporal'], 59_999), 60_000), []);
  });

  it('waits for what a service needs: the REST catalog without MinIO is not enough', () => {
    assert.deepEqual(nextWave(['rest.test.ts'], declared, stack(['rest-catalog'], 60_000), 60_000), []);
    assert.deepEqual(nextWave(['rest.test.ts'], declared, stack(['minio', 'rest-catalog'], 60_000), 60_000), ['rest.test.ts']);
  });

  it('takes every pending file once the stack has settled, up or failed', () => {
    assert.deepEqual(nextWave(pending, declared, stack([], 0, true), 60_000), pending);
  });
});

describe('usedServices', () => {
  function tree(files: Record<string, string>): string {
    const root = scratchFolder('test-services');
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(join(root, dirname(path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    return root;
  }

  it('finds accessor calls and service modules through the test and bench modules a file imports', () => {
    const root = tree({
      'test/integration/a.test.ts': [
        "import { helper } from '../support/helper.js';",
        "import { peer } from '../../bench/_peer.js';",
        "import { startPostgres } from '../../scripts/services/postgres.js';",
        'helper(); peer(); startPostgres();',
      ].join('\n'),
      'test/support/helper.ts': "import { temporalService } from './services.js';\nexport const helper = () => temporalService();\n",
      'bench/_peer.ts': "import {\n  kafkaBrokers,\n} from '../test/support/services.js';\nexport const peer = () => kafkaBrokers();\n",
      'test/support/services.ts': 'export function s3Service() {}\nexport function redisUrl() {}\n',
      'scripts/services/postgres.ts': 'export function startPostgres() { temporalService(); }\n',
    });
    assert.deepEqual(usedServices('test/integration/a.test.ts', root), [
      { service: 'temporal', where: 'test/support/helper.ts calls temporalService()' },
      { service: 'postgres', where: 'test/integration/a.test.ts imports scripts/services/postgres.ts' },
      { service: 'kafka', where: 'bench/_peer.ts calls kafkaBrokers()' },
    ]);
  });

  it('leaves out type-only imports, and counts dynamic ones and the Kafka Connect module as kafka', () => {
    const root = tree({
      'test/e2e/b.test.ts': [
        "import type { Options } from '../support/s3.js';",
        "const connect = await import('../../scripts/services/kafka-connect.js');",
        "await import('../support/chrome.js');",
      ].join('\n'),
      'test/support/s3.ts': 'export type Options = ReturnType<typeof s3Service>;\ns3Service();\n',
      'test/support/chrome.ts': 'chromiumExecutable();\n',
      'scripts/services/kafka-connect.ts': '',
    });
    assert.deepEqual(
      usedServices('test/e2e/b.test.ts', root).map((use) => use.service),
      ['chromium', 'kafka'],
    );
  });
});

describe('usedServices, export by export', () => {
  it("counts the exports a file imports and what they refer to, a module's top-level statements, not its other exports", () => {
    const root = scratchFolder('test-service-uses');
    const files: Record<string, string> = {
      'test/integration/c.test.ts': "import { sqlCase } from '../support/cases.js';\nsqlCase();\n",
      'test/support/cases.ts': [
        "import { restCatalogService, pythonOracle, temporalService } from './services.js';",
        'const oracle = pythonOracle();',
        'function local() { return temporalService(); }',
        'export function sqlCase() { return local(); }',
        'export function restCase() { return restCatalogService(); }',
        'export type Later = ReturnType<typeof restCatalogService>;',
      ].join('\n'),
      'test/support/services.ts': '',
    };
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(join(root, dirname(path)), { recursive: true });
      writeFileSync(join(root, path), source);
    }
    assert.deepEqual(usedServices('test/integration/c.test.ts', root), [
      { service: 'temporal', where: 'test/support/cases.ts calls temporalService()' },
      { service: 'python', where: 'test/support/cases.ts calls pythonOracle()' },
    ]);
  });
});

describe('the test files of this repository', () => {
  const files = SERVICE_TEST_FOLDERS.flatMap((folder) =>
    readdirSync(join(repoRoot, folder), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => `${folder}${name}`),
  );

  it('each declare their services on the first line', () => {
    assert.ok(files.length > 50, `found ${files.length} integration and e2e files`);
    servicesByFile(files, (file) => readFileSync(join(repoRoot, file), 'utf8'));
  });

  it('each declare every service they use (a declared REST catalog brings MinIO)', () => {
    const undeclared: string[] = [];
    for (const file of files) {
      const declared = new Set(withDependencies(declaredServices(file, readFileSync(join(repoRoot, file), 'utf8'))));
      for (const use of usedServices(file)) {
        if (!declared.has(use.service))
          undeclared.push(`${file} uses ${use.service} (${use.where}) but its first line does not declare it`);
      }
    }
    assert.deepEqual(undeclared, []);
  });

  it('have an entry in ACCESSOR_SERVICES for every accessor of test/support/services.ts', () => {
    const source = readFileSync(join(repoRoot, 'test/support/services.ts'), 'utf8');
    const accessors = [...source.matchAll(/^export function (\w+)\(\)[^{]*\{([\s\S]*?)^\}/gm)]
      .filter((match) => match[2]?.includes('lookup('))
      .map((match) => match[1]);
    assert.ok(accessors.length >= 10, `found ${accessors.join(', ')}`);
    assert.deepEqual(
      accessors.filter((name) => name === undefined || !(name in ACCESSOR_SERVICES)),
      [],
    );
    assert.deepEqual(
      Object.keys(ACCESSOR_SERVICES).filter((name) => !accessors.includes(name)),
      [],
    );
  });
});
