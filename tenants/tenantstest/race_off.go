//go:build !race

package tenantstest

const raceEnabled = false
