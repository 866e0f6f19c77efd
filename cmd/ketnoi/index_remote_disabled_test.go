package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"ketnoi/corpus"
	"ketnoi/server"
)

// TestIndexServerWithoutUploads: a server that takes no uploads answers 503 uploads_disabled; that is not
// "busy", so the run stops at once with a clear message instead of waiting on every file, record files
// included.
func TestIndexServerWithoutUploads(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	d, err := openOrCreateData(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.close() })
	cfg := server.DefaultConfig()
	cfg.Keys = corpus.OpenKeyring(dir)
	staff, _, err := cfg.Keys.Create("Cán bộ", corpus.RoleStaff)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(cfg, d.idx, d.store, nil, slog.New(slog.NewTextHandler(io.Discard, nil))).Handler())
	t.Cleanup(ts.Close)
	folder := t.TempDir()
	writeFile(t, filepath.Join(folder, "a.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	writeFile(t, filepath.Join(folder, "b.txt"), "Máy bóc vỏ hạt điều bán tự động.")
	// A record file, sent first, meets the same refusal.
	writeFile(t, filepath.Join(folder, "c.jsonl"), `{"id": "kq-c", "kind": "result", "title": "Máy sàng hạt tiêu"}`+"\n")
	code, stdout, stderr := ketnoi(t, "index", "--server", ts.URL, "--key", staff, folder)
	if code == 0 || !strings.Contains(stdout+stderr, "máy chủ từ chối mọi tệp tải lên") || !strings.Contains(stdout+stderr, "uploads_disabled") {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}
