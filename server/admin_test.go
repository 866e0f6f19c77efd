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
	keys := corpus.OpenKeyring(dir)
	admin, _, _ := keys.Create("Quản trị", corpus.RoleAdmin)
	cfg := DefaultConfig()
	cfg.Keys = keys
	ts := httptest.NewUnstartedServer(New(cfg, nil, st, nil, nil).Handler())
	ts.Config.WriteTimeout = time.Second
	ts.Start()
	defer ts.Close()
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/v1/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var arch bytes.Buffer
	start := time.Now()
	for {
		n, err := io.CopyN(&arch, resp.Body, 2<<20)
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			t.Fatalf("download cut after %d bytes, %s: %v", arch.Len(), time.Since(start), err)
		}
		time.Sleep(150 * time.Millisecond)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Logf("download took only %s", time.Since(start))
	}
	m, err := corpus.VerifyBackup(&arch)
	if err != nil || m.Originals != 4 {
		t.Fatalf("slow download: %v (after %s)", err, time.Since(start))
	}
}
