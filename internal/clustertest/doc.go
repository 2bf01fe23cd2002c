// Package clustertest runs pushd as separate processes (one `pushd api`,
// two `pushd worker`s) on real Redis topologies started by
// scripts/redis-cluster.sh and scripts/redis-sentinel.sh, and measures
// delivery across a failover: how many pushes were delivered, duplicated
// and lost when a master is SIGKILLed mid-run (docs/reliability.md).
//
// The topologies come from PUSHD_TEST_REDIS_CLUSTER (comma list of the
// cluster's nodes) and PUSHD_TEST_REDIS_SENTINEL (master name@sentinel
// addresses); scripts/test.sh and .ci/run start them and set both. A test
// whose topology is not set is skipped, except under CI=true, where it
// fails. The tests kill and restart Redis processes, so they run one after
// the other, never beside another user of the same topology.
package clustertest
