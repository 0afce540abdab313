/** Whether `version` (a `process.versions.node`, default this process's) is one Floe runs on. */
export function isSupportedNode(version?: string): boolean;
/** What `command` says on a Node too old for Floe: the running version and `fix` (default: install Node 24). */
export function unsupportedNodeMessage(command: string, fix?: string): string;
