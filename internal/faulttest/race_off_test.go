//go:build !race

package faulttest

// raceEnabled: this test binary is built without -race, and so is the
// child pushd.
const raceEnabled = false
