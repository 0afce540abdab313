// Lets Node load Floe's TypeScript modules (through tsx, as bin/floe.js does) from a project's
// scripts, which live outside Floe's folder and so cannot resolve tsx themselves.
import { register } from 'tsx/esm/api';

register();
