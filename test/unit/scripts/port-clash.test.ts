// A service whose free port was taken before it bound it is started again on new ports: each
// server's own wording of that failure must be recognized, and nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPortClash } from '../../../scripts/services/stack.js';

describe('isPortClash', () => {
  it("recognizes each service's wording of a taken port", () => {
    for (const message of [
      'FATAL Unable to start the server: Specified port is already in use', // MinIO (CI on 28983ee)
      'listen tcp 127.0.0.1:7233: bind: address already in use', // Temporal's Go server
      'java.net.BindException: Address already in use', // the REST fixture's Jetty
      'Error: listen EADDRINUSE: address already in use 127.0.0.1:6379', // Node
    ]) {
      assert.equal(isPortClash(`minio failed to start: the process exited with code 1\n  | ${message}`), true, message);
    }
  });

  it('leaves other start failures alone', () => {
    assert.equal(isPortClash('minio failed to start: the process exited with code 1\n  | FATAL disk is full'), false);
    assert.equal(isPortClash('postgres failed to start: initdb: error: could not create directory'), false);
  });
});
