package corpus

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// keys.json and users.json are small files of the data directory that the CLI changes while a server
// reads them: writers serialise on one flock'ed lock file (keys.lock) and replace the file atomically, and
// readers notice a replaced file by a cheap stat, at most once per reload interval.

// lockedUpdate runs fn holding first mu (this process's writers) and then the data directory's lock file.
func lockedUpdate(dir string, mu *sync.Mutex, fn func() error) error {
	mu.Lock()
	defer mu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tạo thư mục dữ liệu %s: %w", dir, err)
	}
	unlock, err := lockKeys(filepath.Join(dir, keysLockFile))
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// updateJSON is a read-modify-write of one such file under the lock: read parses it (a damaged file is an
// error, not an empty one: rewriting it would silently drop everything in it), fn changes it, and the
// result replaces the file atomically (created 0600: names and roles are nobody else's business). what
// names the file in errors.
// Once written, forget makes this process see the change at once, whatever the reload interval.
func updateJSON[T any](dir string, mu *sync.Mutex, path, what string, read func(string) (T, os.FileInfo, error), fn func(*T) error, forget func()) error {
	return lockedUpdate(dir, mu, func() error {
		f, _, err := read(path)
		if err != nil {
			return err
		}
		if err := fn(&f); err != nil {
			return err
		}
		b, err := json.MarshalIndent(f, "", "  ")
		if err != nil {
			return fmt.Errorf("ghi %s: %w", what, err)
		}
		if err := WriteFileAtomic(path, append(b, '\n')); err != nil {
			return fmt.Errorf("ghi %s: %w", what, err)
		}
		forget()
		return nil
	})
}

// readJSONFile is readVersioned for a file of type T whose version is where version says.
func readJSONFile[T any](what string, version func(*T) *int) func(string) (T, os.FileInfo, error) {
	return func(path string) (T, os.FileInfo, error) {
		var f T
		fi, err := readVersioned(path, what, &f, version(&f))
		return f, fi, err
	}
}

// readVersioned reads such a file into v, whose version must be 1; a missing file is an empty one of
// version 1. The FileInfo is of the file actually read (nil when it does not exist).
func readVersioned(path, what string, v any, version *int) (os.FileInfo, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		*version = 1
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("đọc %s: %w", what, err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("đọc %s: %w", what, err)
	}
	b, err := io.ReadAll(fh)
	if err != nil {
		return fi, fmt.Errorf("đọc %s: %w", what, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fi, fmt.Errorf("%s %s hỏng: %w", what, path, err)
	}
	if *version != 1 {
		return fi, fmt.Errorf("%s %s có phiên bản %d, bản ketnoi này chỉ đọc được phiên bản 1", what, path, *version)
	}
	return fi, nil
}

// watched is the parsed content of such a file, reloaded when the file was replaced.
type watched[T any] struct {
	path string
	// load parses the file; the FileInfo is of the file actually read (nil when it does not exist).
	load func(path string) (T, os.FileInfo, error)

	mu      sync.Mutex
	loaded  bool
	val     T
	fi      os.FileInfo
	err     error
	checked time.Time
}

// get returns the content, looking at the file again when every has passed since the last look.
func (w *watched[T]) get(every time.Duration) (T, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	if w.loaded && now.Sub(w.checked) < every {
		return w.val, w.err
	}
	w.checked = now
	fi, err := os.Stat(w.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		var zero T
		w.loaded, w.val, w.fi, w.err = true, zero, nil, fmt.Errorf("đọc tệp %s: %w", filepath.Base(w.path), err)
		return w.val, w.err
	}
	if w.loaded && w.err == nil && sameFile(w.fi, fi) {
		return w.val, nil
	}
	w.val, w.fi, w.err = w.load(w.path)
	w.loaded = true
	return w.val, w.err
}

// forget makes the next get read the file: this process's own writes are seen at once.
func (w *watched[T]) forget() {
	w.mu.Lock()
	w.loaded = false
	w.mu.Unlock()
}

// sameFile says whether two stats are of the same, unchanged file. Writers replace files by rename, so the
// inode changes with every write even when size and time do not.
func sameFile(a, b os.FileInfo) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return os.SameFile(a, b) && a.Size() == b.Size() && a.ModTime().Equal(b.ModTime())
}
