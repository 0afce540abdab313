// Import cycles between files, found by dependency-cruiser: it resolves NodeNext `.js` specifiers to
// the `.ts` files TypeScript compiles, and counts `import type` edges too (tsPreCompilationDeps).
import path from 'node:path';
import { cruise } from 'dependency-cruiser';
import type { ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

/**
 * Every cycle among the files under `folders` (relative to `baseDir`), each as the files in import
 * order ending where it starts (`a.ts → b.ts → a.ts`), sorted. Files outside `folders` are not walked.
 */
export async function findImportCycles(baseDir: string, folders: readonly string[]): Promise<string[][]> {
  const tsConfigFile = path.join(baseDir, 'tsconfig.json');
  const result = await cruise(
    [...folders],
    {
      baseDir,
      tsPreCompilationDeps: true,
      tsConfig: { fileName: tsConfigFile },
      includeOnly: { path: `^(${folders.map((folder) => folder.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})/` },
      ruleSet: { forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }] },
      validate: true,
    },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  const output = result.output as ICruiseResult;
  const cycles = new Map<string, string[]>();
  for (const violation of output.summary.violations) {
    if (violation.cycle === undefined) continue;
    // The path from the import's target back to the importing file, each file importing the next.
    // dependency-cruiser reports a cycle once per import on it: rotated to start at its least file,
    // each is kept once.
    const files = violation.cycle.map((step) => step.name);
    const first = files.indexOf([...files].sort()[0]!);
    const rotated = [...files.slice(first), ...files.slice(0, first), files[first]!];
    cycles.set(rotated.join(' → '), rotated);
  }
  return [...cycles.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, cycle]) => cycle);
}
