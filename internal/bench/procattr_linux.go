package bench

import "syscall"

// childAttr makes the kernel kill a child when the bench process dies, so
// a bench killed with SIGKILL leaves no redis-server or pushd behind.
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
