package server

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/internal/corpustest"
)

func TestAdminBackup(t *testing.T) {
	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := sample.Records()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(recs, sample.Source); err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(dir, func(d string) (indexer.Index, error) { return bleveidx.Open(d) })
	if err != nil {
		t.Fatal(err)
	}
	defer idx.Close()
	keys := corpus.OpenKeyring(dir)
	admin, _, _ := keys.Create("Quản trị", corpus.RoleAdmin)
	staff, _, _ := keys.Create("Cán bộ", corpus.RoleStaff)
	cfg := DefaultConfig()
	cfg.Keys = keys
	ts := httptest.NewServer(New(cfg, idx, st, nil, nil).Handler())
	defer ts.Close()

	call := func(key string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/admin/backup", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	for _, tt := range []struct {
		name, key string
		status    int
	}{{"no key", "", http.StatusUnauthorized}, {"staff key", staff, http.StatusForbidden}} {
		resp := call(tt.key)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || bytes.Contains(b, []byte("store.db")) {
			t.Errorf("%s: %d %.100s, want %d and no archive", tt.name, resp.StatusCode, b, tt.status)
		}
	}

	// Records keep arriving while the archive streams: it is still one consistent snapshot.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			st.Put([]corpus.Record{&corpus.Result{ID: fmt.Sprint("kq-ghi-", i), Kind: corpus.KindResult, Title: "Ghi trong lúc sao lưu"}}, "api")
		}
	}()
	resp := call(admin)
	arch, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	close(stop)
	wg.Wait()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin backup: %d %v", resp.StatusCode, err)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".tar.gz") {
		t.Errorf("Content-Disposition %q", cd)
	}
	m, err := corpus.Restore(bytes.NewReader(arch), filepath.Join(t.TempDir(), "khoi-phuc"))
	if err != nil {
		t.Fatalf("restore of the downloaded backup: %v", err)
	}
	if m.Records[corpus.KindResult] < 300 || m.Records[corpus.KindNeed] < 60 {
		t.Errorf("backup holds %v", m.Records)
	}
	if m.Seq == 0 || m.Seq < uint64(m.Total()) {
		t.Errorf("manifest seq %d for %d records", m.Seq, m.Total())
	}
}

// TestAdminBackupOutlivesWriteTimeout: a download slower than the server's WriteTimeout still completes,
// because the deadline slides while bytes flow.
func TestAdminBackupOutlivesWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("reads slowly on purpose")
	}
	dir := t.TempDir()
	st, err := corpus.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Incompressible originals, more than socket buffers hold, so that the server must wait on the client.
	for i := range 4 {
		b := make([]byte, 8<<20)
		rand.Read(b)
		sha, err := st.PutOriginal(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		st.PutFrom([]corpus.Record{&corpus.Result{ID: fmt.Sprint("kq-", i), Kind: corpus.KindResult, Title: "Tệp lớn"}}, "lon.pdf", sha)
	}
	ts, admin := writeTimeoutServer(t, dir, st, nil, corpus.RoleAdmin)
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	start := time.Now()
	arch := slowRead(t, resp.Body)
	m, err := corpus.VerifyBackup(arch)
	if err != nil || m.Originals != 4 {
		t.Fatalf("slow download: %v (after %s)", err, time.Since(start))
	}
}

// writeTimeoutServer is a server over st (and idx) with a key of role, on a connection whose WriteTimeout
// is a second: any answer that takes longer is cut unless its deadline slides.
func writeTimeoutServer(t *testing.T, dir string, st *corpus.Store, idx indexer.Index, role corpus.Role) (*httptest.Server, string) {
	t.Helper()
	keys := corpus.OpenKeyring(dir)
	key, _, err := keys.Create("Người tải", role)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Keys = keys
	ts := httptest.NewUnstartedServer(New(cfg, idx, st, nil, nil).Handler())
	ts.Config.WriteTimeout = time.Second
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, key
}

// slowRead reads a download 2 MB at a time with pauses, as a slow line does: slower than a test server's
// WriteTimeout of a second allows for a whole answer of several MB.
func slowRead(t *testing.T, r io.Reader) *bytes.Buffer {
	t.Helper()
	var got bytes.Buffer
	start := time.Now()
	for {
		n, err := io.CopyN(&got, r, 2<<20)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			t.Fatalf("download cut after %d bytes, %s: %v", got.Len(), time.Since(start), err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Logf("download took only %s", time.Since(start))
	}
	return &got
}

// TestDownloadsOutliveWriteTimeout: an original file and an export, read more slowly than the server's
// WriteTimeout allows a whole answer, still arrive whole: their deadline slides while bytes flow, as a
// backup's does.
func TestDownloadsOutliveWriteTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("reads slowly on purpose")
	}
	dir, st, idx := corpustest.Empty(t)
	orig := make([]byte, 24<<20) // incompressible, more than socket buffers hold
	rand.Read(orig)
	sha, err := st.PutOriginal(bytes.NewReader(orig))
	if err != nil {
		t.Fatal(err)
	}
	big := &corpus.Result{ID: "kq-lon", Kind: corpus.KindResult, Title: "Báo cáo quét",
		Extraction: &corpus.Extraction{File: "bao-cao.pdf", SHA256: sha, Format: "pdf", Pages: 1}}
	if _, err := st.PutFrom([]corpus.Record{big}, "bao-cao.pdf", sha); err != nil {
		t.Fatal(err)
	}
	putLongResults(t, st, 100, 250<<10) // a 25 MB export
	ts, staff := writeTimeoutServer(t, dir, st, idx, corpus.RoleStaff)
	for _, tt := range []struct {
		name, path, key string
		check           func(b []byte) bool
	}{
		{"original file", "/api/v1/results/kq-lon/file", "", func(b []byte) bool { return bytes.Equal(b, orig) }},
		{"export", "/api/v1/export?kind=result&format=jsonl", staff, func(b []byte) bool { return bytes.Count(b, []byte("\n")) == 101 }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.URL+tt.path, nil)
			req.Header.Set("Accept-Encoding", "identity") // as large on the wire as on disk
			if tt.key != "" {
				req.Header.Set("Authorization", "Bearer "+tt.key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if b := slowRead(t, resp.Body).Bytes(); resp.StatusCode != http.StatusOK || !tt.check(b) {
				t.Errorf("%d, %d bytes: not the whole download", resp.StatusCode, len(b))
			}
		})
	}
}
