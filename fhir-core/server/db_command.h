// `hestia db start|stop|status`: operate the embedded PostgreSQL cluster of a data folder
// without running the server. Integration tests use it to bring a database up, take it down
// (immediate mode simulates an outage) and bring it back.
// Thread-safety: may run concurrently for different data folders; writes to stdout/stderr.
#pragma once

namespace hestia::server {

// argv holds the arguments after `hestia db` (argv[0] is the action), argc counts them.
// Returns the process exit code: 0 success, 1 failure, 2 usage error, 3 (`status` only) the
// cluster is not running. `start` prints the connection string on stdout and leaves postgres
// running after the command exits; `status` prints "running pid=N" and the connection string,
// or "stopped" / "not initialised".
int RunDbCommand(int argc, char** argv);

}  // namespace hestia::server
