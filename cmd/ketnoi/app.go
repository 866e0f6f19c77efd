package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/matcher"
)

// openIndex is the backend choice: bleve, in the data directory.
func openIndex(dir string) (indexer.Index, error) {
	idx, err := bleveidx.Open(dir)
	if err != nil {
		return nil, err // not a nil *Index inside a non-nil interface
	}
	return idx, nil
}

// warm prepares a backend that can for the searches to come (bleveidx builds its facet tables), so that the
// first visitor does not wait.
func warm(idx indexer.Index) {
	if w, ok := idx.(interface{ Warm() }); ok {
		w.Warm()
	}
}

// data is an open data directory: the store and its index, in step.
type data struct {
	dir   string
	store *corpus.Store
	idx   indexer.Index
}

// serverURLFile names the running server's address, so that commands finding the data directory held can
// go through its API instead.
const serverURLFile = "server.url"

// errHeld is returned when a server holds the data directory.
type errHeld struct {
	dir, url string
	pid      int
}

func (e *errHeld) Error() string {
	who := "một tiến trình ketnoi khác"
	if e.pid > 0 {
		who = fmt.Sprintf("tiến trình %d", e.pid)
	}
	msg := fmt.Sprintf("thư mục dữ liệu %s đang được %s giữ", e.dir, who)
	if e.url != "" {
		msg += fmt.Sprintf(" (máy chủ %s)", e.url)
	}
	return msg + "; hãy dừng máy chủ rồi chạy lại lệnh, hoặc dùng API của máy chủ"
}

// openStore opens the store of an existing data directory; when another process holds it, the error names
// that process and its server's URL (errHeld).
func openStore(dir string) (*corpus.Store, error) {
	if err := needStore(dir); err != nil {
		return nil, err
	}
	return openOrCreateStore(dir)
}

// needStore refuses a data directory without a store. Only the commands that bring data in (serve, index,
// harvest) make one: elsewhere a mistyped --data made a new, empty directory and answered "nothing found".
func needStore(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "store.db")); err != nil {
		return fmt.Errorf("không có kho dữ liệu ở %s (thiếu store.db): kiểm tra --data hoặc biến môi trường KETNOI_DATA; "+
			"dữ liệu được nạp bằng ketnoi serve, ketnoi index hay ketnoi harvest", dir)
	}
	return nil
}

// openOrCreateStore is openStore for the commands that bring data in: a new directory gets an empty store.
func openOrCreateStore(dir string) (*corpus.Store, error) {
	st, err := corpus.Open(dir)
	var le *corpus.LockedError
	if errors.As(err, &le) {
		return nil, &errHeld{dir: dir, url: runningServerURL(dir), pid: le.PID}
	}
	return st, err
}

// openData opens the store and the index of an existing data directory and brings the index up to the
// store (finishing whatever a killed run left).
func openData(ctx context.Context, dir string, progress func(int)) (*data, error) {
	if err := needStore(dir); err != nil {
		return nil, err
	}
	return openOrCreateData(ctx, dir, progress)
}

// openOrCreateData is openData for the commands that bring data in: a new directory gets an empty store and
// index.
func openOrCreateData(ctx context.Context, dir string, progress func(int)) (*data, error) {
	st, err := openOrCreateStore(dir)
	if err != nil {
		return nil, err
	}
	idx, err := indexer.OpenCurrent(dir, openIndex)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("mở chỉ mục: %w (chỉ mục dựng lại được từ kho: ketnoi check --repair hoặc ketnoi reindex)", err)
	}
	d := &data{dir: dir, store: st, idx: idx}
	if _, err := indexer.Sync(ctx, st, idx, progress); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *data) close() error {
	err := d.idx.Close()
	if cerr := d.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// seed fills an empty, never-seeded data directory with the bundled sample corpus.
func (d *data) seed(ctx context.Context) (int, error) {
	seeded, err := d.store.Seeded()
	if err != nil || seeded {
		return 0, err
	}
	recs, err := sample.Records()
	if err != nil {
		return 0, err
	}
	if _, err := d.store.Put(recs, sample.Source); err != nil {
		return 0, err
	}
	if err := d.store.MarkSeeded(sample.Source); err != nil {
		return 0, err
	}
	if _, err := indexer.Sync(ctx, d.store, d.idx, nil); err != nil {
		return 0, err
	}
	return len(recs), nil
}

func (d *data) matcher(weightsPath string) (*matcher.Matcher, error) {
	w := matcher.DefaultWeights()
	if weightsPath != "" {
		var err error
		if w, err = matcher.LoadWeights(weightsPath); err != nil {
			return nil, err
		}
	}
	return matcher.New(d.idx, d.store, w, time.Now().Year()), nil
}

func runningServerURL(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, serverURLFile))
	if err != nil {
		return ""
	}
	u := strings.TrimSpace(string(b))
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return ""
	}
	return u
}
