// Type-checking TypeScript the documentation shows, in memory, as a user's project would compile it:
// `floe`, `floe/worker` and `floe/server` resolve through package.json's exports with the
// `floe-source` condition, so to public/*.ts of this checkout.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Sources become virtual files here, inside the checkout, so `floe` resolves to this package itself. */
const blockDirectory = path.join(root, '.doc-blocks');

function compilerOptions(): ts.CompilerOptions {
  const configPath = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (file) => ts.sys.readFile(file));
  if (config.error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(config.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root, undefined, configPath);
  return { ...parsed.options, noEmit: true, customConditions: ['floe-source'] };
}

/**
 * Type-checks each source as its own module, in one program; the messages per source name (empty
 * when it compiles), each as `line N: message (TSnnnn)`.
 */
export function typeCheck(sources: readonly { readonly name: string; readonly code: string }[]): Map<string, string[]> {
  const virtual = new Map(sources.map((source) => [path.join(blockDirectory, `${source.name}.ts`), source]));
  const options = compilerOptions();
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file)?.code ?? readFile.call(host, file);
  host.directoryExists = (directory) => directory === blockDirectory || (directoryExists?.call(host, directory) ?? true);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const source = virtual.get(file);
    return source === undefined
      ? getSourceFile.call(host, file, languageVersion, onError, shouldCreate)
      : ts.createSourceFile(file, source.code, languageVersion, true);
  };
  const program = ts.createProgram({ rootNames: [...virtual.keys()], options, host });
  const results = new Map<string, string[]>();
  for (const [file, source] of virtual) {
    const sourceFile = program.getSourceFile(file)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
    results.set(
      source.name,
      diagnostics.map((diagnostic) => {
        const at = diagnostic.start === undefined ? '' : `line ${sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line + 1}: `;
        return `${at}${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')} (TS${diagnostic.code})`;
      }),
    );
  }
  return results;
}
