//go:build !linux

package bench

import "syscall"

// childAttr is nil outside Linux: children are stopped by the bench's
// cleanup only.
func childAttr() *syscall.SysProcAttr { return nil }
