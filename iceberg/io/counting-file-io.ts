import type { FileIO } from './file-io.js';

/** `io` calling `onRead` before each whole-file read; every other call passes straight through. */
export function countingReads(io: FileIO, onRead: () => void): FileIO {
  return {
    read: (location) => {
      onRead();
      return io.read(location);
    },
    readRange: (location, offset, length) => io.readRange(location, offset, length),
    write: (location, data, options) => io.write(location, data, options),
    upload: (localPath, location, options) => io.upload(localPath, location, options),
    exists: (location) => io.exists(location),
    stat: (location) => io.stat(location),
    delete: (location) => io.delete(location),
    list: (prefix) => io.list(prefix),
    localize: (location) => io.localize(location),
  };
}
