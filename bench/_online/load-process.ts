/** The benchmark's side of bench/_online/load-generator.ts: one child process, asked one load after another. */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LoadFigures, LoadRequest } from './load-generator.js';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'load-generator.ts');

export class LoadProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-4000)));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** Runs one load (the loads of one process never overlap: callers await each). */
  async run(request: LoadRequest): Promise<LoadFigures> {
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const line = await this.lines.next();
    if (line.done === true) throw new Error(`the load generator exited (${String(this.child.exitCode)}):\n${this.stderr}`);
    return JSON.parse(line.value) as LoadFigures;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    await exited;
  }
}
