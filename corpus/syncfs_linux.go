package corpus

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// SyncOriginals makes every original written with PutOriginalLazy durable: one syncfs(2) of the
// filesystem holding them.
func (s *Store) SyncOriginals() error {
	d, err := os.Open(filepath.Join(s.dir, "originals"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("ghi đĩa các tệp gốc: %w", err)
	}
	return nil
}
