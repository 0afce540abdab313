// Preloaded into the test runner and every test file's child process. A child streams its verdicts
// to the runner over its stdout, a non-blocking pipe on Linux, and --test-force-exit exits it
// without draining that pipe, so the tail of a file's report was lost and the run counted fewer
// tests than ran (nodejs/node#64833). Blocking writes leave nothing buffered at exit.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true);
