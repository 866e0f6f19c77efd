//go:build !linux

package extract

// limitMemory relies on the runtime's soft limit only where there is no RLIMIT_AS.
func limitMemory(int64) {}
