package tenantstest

import "syscall"

// dieWithParent has the kernel SIGKILL a child when the test binary dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
