//go:build race

package tenantstest

// raceEnabled: the tests run under the race detector, and so do the
// binaries they build (Build).
const raceEnabled = true
