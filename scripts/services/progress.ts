/**
 * Runs an install or build step (go install, pip, mvn) as a child process with its output in a log
 * file, printing what is happening, why, and the elapsed time every ~20 s: a cold Temporal build
 * takes minutes, and silence looks like a hang.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describeFailure, tailLines } from './log-tail.js';

export interface InstallStep {
  /** Short name of what is being built, e.g. "Temporal CLI v1.5.1". */
  what: string;
  /** Why it is needed, shown once at the start. */
  why: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  log: string;
}

const PROGRESS_EVERY_MS = 20_000;

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}

export function say(message: string): void {
  process.stderr.write(`[services] ${message}\n`);
}

/** Runs the step to completion; resolves with its duration in ms, rejects with the log's tail. */
export async function runInstallStep(step: InstallStep): Promise<number> {
  const started = Date.now();
  say(`${step.what}: ${step.why}`);
  say(`${step.what}: running ${[step.command, ...step.args].join(' ')} (log: ${step.log})`);
  mkdirSync(dirname(step.log), { recursive: true });
  const fd = openSync(step.log, 'w');
  const timer = setInterval(() => {
    const lastLine = stripVTControlCharacters(tailLines(step.log, 1)).trim().slice(0, 120);
    say(`${step.what}: still working, ${formatDuration(Date.now() - started)} elapsed${lastLine ? ` — ${lastLine}` : ''}`);
  }, PROGRESS_EVERY_MS);
  try {
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolvePromise, reject) => {
      const child = spawn(step.command, step.args, {
        cwd: step.cwd,
        env: step.env ?? process.env,
        stdio: ['ignore', fd, fd],
      });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolvePromise({ code, signal }));
    });
    if (exit.code !== 0) {
      const reason = exit.signal ? `killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
      throw new Error(describeFailure(`${step.what} failed to build/install`, [step.command, ...step.args], step.log, reason));
    }
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      throw new Error(`${step.what}: \`${step.command}\` is not installed or not on PATH (needed to ${step.why})`, { cause: error });
    }
    throw error;
  } finally {
    clearInterval(timer);
    closeSync(fd);
  }
  const took = Date.now() - started;
  say(`${step.what}: done in ${formatDuration(took)}`);
  return took;
}
