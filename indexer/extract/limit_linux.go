package extract

import "syscall"

// limitMemory caps the worker's address space, so a memory blow-up fails inside the worker (an
// out-of-memory fatal error the pool reports as ReasonTooLarge) instead of inviting the kernel's OOM
// killer to the machine.
func limitMemory(n int64) {
	lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, &lim)
}
