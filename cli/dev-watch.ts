/**
 * What `floe dev` watches: floe.yaml, the definitions module and the project's own files it
 * imports. Their folders are watched rather than the files, so an editor that saves by writing a
 * new file and renaming it over the old one is still seen; bursts of events (one save is often
 * several) settle into one call.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import path from 'node:path';

export interface ProjectWatch {
  /** Watches these files from now on, instead of the earlier ones. */
  watchFiles(files: Iterable<string>): void;
  close(): void;
}

export const DEBOUNCE_MS = 200;

export function watchProjectFiles(onChange: (changed: readonly string[]) => void, debounceMs = DEBOUNCE_MS): ProjectWatch {
  const watchers = new Map<string, FSWatcher>();
  let files = new Set<string>();
  let changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const seen = (directory: string, name: string | Buffer | null) => {
    if (name === null) return;
    const file = path.join(directory, name.toString());
    if (!files.has(file)) return;
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const batch = [...changed];
      changed = new Set();
      onChange(batch);
    }, debounceMs);
  };
  return {
    watchFiles(next) {
      files = new Set([...next].map((file) => path.resolve(file)));
      const directories = new Set([...files].map((file) => path.dirname(file)));
      for (const [directory, watcher] of watchers) {
        if (directories.has(directory)) continue;
        watcher.close();
        watchers.delete(directory);
      }
      for (const directory of directories) {
        if (watchers.has(directory)) continue;
        const watcher = watch(directory, { persistent: false }, (_event, name) => seen(directory, name));
        // A folder removed while watched: nothing more to see there, and no reason to stop dev.
        watcher.on('error', () => watcher.close());
        watchers.set(directory, watcher);
      }
    },
    close() {
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}
