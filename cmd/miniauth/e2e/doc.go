// Package e2e holds end-to-end tests of the built miniauth and wxmock
// binaries: real processes on real MariaDB and Redis servers, some of which
// the tests SIGKILL, stall or restart (faults, draining, several nodes).
// It has no code of its own; see the _test.go files.
package e2e
