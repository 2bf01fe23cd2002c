//go:build race

package faulttest

// raceEnabled: the child pushd is built with -race like this test binary,
// so its packages come from the same build cache and its races show up in
// its output.
const raceEnabled = true
