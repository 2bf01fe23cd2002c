// Package faulttest proves pushd's reliability promises (SPEC §5,
// docs/reliability.md) by breaking things on purpose: a worker killed with
// SIGKILL mid-run, Redis restarted under load, a vendor down for seconds, a
// vendor asking to slow down, malformed jobs, wrong API tokens. Every test
// runs against a real Redis (PUSHD_TEST_REDIS) and loopback vendor fakes;
// the crash test runs the real `pushd serve` binary as a child process and
// the Redis test its own redis-server.
//
// Each test prints what it measured with t.Logf and, when
// PUSHD_FAULT_REPORT names a directory, writes the figures there as
// <TestName>.json, so the last measured figures in docs/reliability.md can
// be refreshed from a run:
//
//	PUSHD_TEST_REDIS=127.0.0.1:6379 PUSHD_FAULT_REPORT=/tmp/fault go test -race -count=1 -v ./internal/faulttest/
//
// The package holds tests only; this file documents it.
package faulttest
