//go:build !linux

package corpus

import "syscall"

// SyncOriginals makes every original written with PutOriginalLazy durable (sync(2) where there is no
// syncfs).
func (s *Store) SyncOriginals() error {
	syscall.Sync()
	return nil
}
