// The Node versions Floe runs on, checked before anything else loads: on an older Node a native
// dependency (better-sqlite3 13, built for Node 22's V8) crashes the process with a segmentation
// fault instead of an error. package.json's engines name the LTS lines; 22.22 is the oldest that works.

/** @param {string} [version] a `process.versions.node`, e.g. `20.20.2` */
export function isSupportedNode(version = process.versions.node) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 22);
}

/**
 * What a command that cannot run on this Node says: the running version and the fix.
 * @param {string} command e.g. `floe`
 * @param {string} [fix] how this setting gets a supported Node, when it has its own way
 */
export function unsupportedNodeMessage(command, fix) {
  return (
    `${command}: Node ${process.versions.node} (${process.execPath}) is too old; Floe needs Node 22.22 or later ` +
    `(the LTS lines 22, 24 and 26). ${fix ?? 'Install Node 24 LTS (nodejs.org, or your version manager: nvm install 24) and run it again.'}`
  );
}
