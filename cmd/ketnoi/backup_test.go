package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ketnoi/indexer"
)

// backupQueries are compared between a data directory and its restored copy.
var backupQueries = []string{"", "sấy cá cơm", "tôm thẻ chân trắng", "phân hữu cơ", "hạt điều", "nước thải",
	"năm:2015..2020 máy", `"nuôi tôm"`, "cá bớp"}

// searchAll runs every backup query on a data directory: total and ids in order, one line each.
func searchAll(t *testing.T, data string) []string {
	t.Helper()
	var out []string
	for _, q := range backupQueries {
		code, body, errOut := ketnoi(t, "search", "--data", data, "--json", "--size", "50", q)
		if code != 0 {
			t.Fatalf("search %q: %d %s", q, code, errOut)
		}
		out = append(out, q+": "+sameHits(body))
	}
	return out
}

func statsOf(t *testing.T, data string) (map[string]int, int) {
	t.Helper()
	_, out, _ := ketnoi(t, "stats", "--data", data, "--json")
	var st struct {
		Records   map[string]int `json:"records"`
		IndexDocs int            `json:"index_documents"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats: %v\n%s", err, out)
	}
	return st.Records, st.IndexDocs
}

func TestBackupRestoreSameSearchResults(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	docs := filepath.Join(dir, "tai-lieu")
	os.Mkdir(docs, 0o755)
	writeFile(t, filepath.Join(docs, "ca-bop.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	args := []string{"index", "--data", data, "--no-ocr", docs}
	samples, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "sample", "data", "*.jsonl"))
	if code, _, errOut := ketnoi(t, append(args, samples...)...); code != 0 || len(samples) == 0 {
		t.Fatalf("index: %d %s", code, errOut)
	}
	if code, _, errOut := ketnoi(t, "keys", "create", "--data", data, "--name", "Quản trị", "--role", "admin"); code != 0 {
		t.Fatalf("keys create: %s", errOut)
	}
	arch := filepath.Join(dir, "sao-luu.tar.gz")
	code, out, errOut := ketnoi(t, "backup", "--data", data, arch)
	if code != 0 || !strings.Contains(out, "Đã sao lưu") {
		t.Fatalf("backup: %d %s %s", code, out, errOut)
	}

	restored := filepath.Join(dir, "khoi-phuc", "data")
	code, out, errOut = ketnoi(t, "restore", "--data", restored, arch)
	if code != 0 || !strings.Contains(out, "khớp nhau") {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	want, got := searchAll(t, data), searchAll(t, restored)
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("after restore\n got %s\nwant %s", got[i], want[i])
		}
	}
	recA, docsA := statsOf(t, data)
	recB, docsB := statsOf(t, restored)
	if fmt.Sprint(recA) != fmt.Sprint(recB) || docsA != docsB || docsA < 370 {
		t.Errorf("records %v / %d documents, restored %v / %d", recA, docsA, recB, docsB)
	}
	if code, out, _ := ketnoi(t, "check", "--data", restored); code != 0 || !strings.Contains(out, "Khớp") {
		t.Errorf("check of the restored directory: %d %s", code, out)
	}
	if b, err := os.ReadFile(filepath.Join(restored, "keys.json")); err != nil || !bytes.Contains(b, []byte("Quản trị")) {
		t.Errorf("keys.json not restored: %v", err)
	}

	raw, _ := os.ReadFile(arch)
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/3] ^= 0x10
	tests := []struct {
		name   string
		arch   []byte
		target string // "" means a fresh directory
		want   string
	}{
		{"changed byte", flipped, "", "không hợp lệ"},
		{"path traversal", withMember(t, raw, "../../ngoai.txt", "x"), "", "không thuộc bố cục"},
		{"absolute path", withMember(t, raw, "/etc/cron.d/ngoai", "x"), "", "không thuộc bố cục"},
		{"truncated", raw[:len(raw)/2], "", "cắt cụt"},
		{"non-empty target", raw, data, "không trống"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "a.tar.gz")
			os.WriteFile(f, tt.arch, 0o644)
			target := tt.target
			if target == "" {
				target = filepath.Join(t.TempDir(), "moi")
			}
			code, _, errOut := ketnoi(t, "restore", "--data", target, f)
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, %s; want 1 and %q", code, errOut, tt.want)
			}
			if tt.target == "" {
				if _, err := os.Stat(target); !os.IsNotExist(err) {
					t.Errorf("refused restore left %s behind", target)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "ngoai.txt")); err == nil {
		t.Error("a refused archive wrote outside its target")
	}
}

// withMember returns the archive with one more member before its manifest.
func withMember(t *testing.T, arch []byte, name, data string) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "MANIFEST.json" {
			tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(data)), Mode: 0o644, Typeflag: tar.TypeReg})
			io.WriteString(tw, data)
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

// TestBackupThroughServerDuringUploads: while `ketnoi serve` holds the data directory and uploads keep
// arriving, `ketnoi backup --server URL --key ADMIN` takes a consistent backup that restores into a fresh
// directory with everything that was done before it began.
func TestBackupThroughServerDuringUploads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	srv, u := startServe(t, bin, data)
	staff := newAPI(t, u, createKey(t, bin, data, "staff"))
	admin := createKey(t, bin, data, "admin")
	arch := filepath.Join(dir, "sao-luu.tar.gz")

	if out, err := exec.Command(bin, "backup", "--data", data, arch).CombinedOutput(); err == nil || !strings.Contains(string(out), "--server "+u) {
		t.Errorf("backup of a held directory should point to --server: %v\n%s", err, out)
	}
	if code, _, errOut := ketnoi(t, "backup", "--server", u, "--key", staff.key, arch); code != 1 || !strings.Contains(errOut, "quản trị") {
		t.Errorf("backup with a staff key: %d %s", code, errOut)
	}

	up := &uploader{acked: map[string]int{}}
	stop := make(chan struct{})
	upDone := make(chan struct{})
	go func() { up.run(staff, 1000, stop); close(upDone) }()
	// The backup starts once some uploads are done and more are arriving.
	doneBefore := map[string]int{} // document id → document number
	for deadline := time.Now().Add(30 * time.Second); len(doneBefore) < 5; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("uploads do not go through: %d acknowledged, %d done", up.count(), len(doneBefore))
		}
		jobs, err := staff.jobs()
		if err != nil {
			t.Fatal(err)
		}
		up.mu.Lock()
		for id, i := range up.acked {
			if j := jobs[id]; j.State == "done" && j.Outcome != nil {
				doneBefore[j.Outcome.DocID] = i
			}
		}
		up.mu.Unlock()
	}
	started := up.count()
	code, out, errOut := ketnoi(t, "backup", "--server", u, "--key", admin, arch)
	during := up.count()
	close(stop)
	<-upDone
	if code != 0 {
		t.Fatalf("backup through the server: %d %s %s", code, out, errOut)
	}
	if during == started {
		t.Logf("no upload was acknowledged while the backup ran (%d before)", started)
	}

	restored := filepath.Join(dir, "khoi-phuc")
	if code, out, errOut := ketnoi(t, "restore", "--data", restored, arch); code != 0 {
		t.Fatalf("restore: %d %s %s", code, out, errOut)
	}
	for id, i := range doneBefore {
		_, out, _ := ketnoi(t, "search", "--data", restored, "--json", token(i))
		if !strings.Contains(out, `"id": "`+id+`"`) {
			t.Errorf("document %d (%s), done before the backup began, not found in the restore", i, id)
		}
	}
	recs, docs := statsOf(t, restored)
	if recs["result"] < 300+len(doneBefore) || docs != recs["result"]+recs["need"] {
		t.Errorf("restored %v records, %d documents (%d uploads were done before the backup)", recs, docs, len(doneBefore))
	}
	t.Logf("uploads acknowledged before the backup %d, by its end %d, done before it began %d; restored %d results",
		started, during, len(doneBefore), recs["result"])
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()
}

// TestCheckRepair: `ketnoi check` finds what a crash or a stray write did to the index, exits 1, and
// --repair patches it, or rebuilds it when the damage is wide.
func TestCheckRepair(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	samples, _ := filepath.Glob(filepath.Join("..", "..", "corpus", "sample", "data", "*.jsonl"))
	if code, _, errOut := ketnoi(t, append([]string{"index", "--data", data}, samples...)...); code != 0 {
		t.Fatalf("index: %s", errOut)
	}
	damage := func(b *indexer.Batch) {
		t.Helper()
		idx, err := indexer.OpenCurrent(data, openIndex)
		if err != nil {
			t.Fatal(err)
		}
		defer idx.Close()
		if err := idx.Apply(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name    string
		damage  func()
		want    string // in the report of the damage
		code    int    // of check without --repair
		rebuilt bool
	}{
		{"documents lost", func() { damage(&indexer.Batch{Delete: []string{"nc-001", "nc-002"}}) }, "Thiếu trong chỉ mục: 2 (nc-001, nc-002)", 1, false},
		{"index ahead of the store", func() { damage(&indexer.Batch{Seq: 1 << 40}) }, "Chỉ mục đi trước kho", 1, true},
		{"index unreadable", func() {
			cur, _ := os.ReadFile(filepath.Join(data, "index", "CURRENT"))
			os.WriteFile(filepath.Join(data, "index", strings.TrimSpace(string(cur)), "index_meta.json"), []byte("rác"), 0o644)
		}, "Không mở được chỉ mục", 1, true},
		// A leftover build wastes space only: reported, not an inconsistency.
		{"unfinished build", func() {
			os.Mkdir(filepath.Join(data, "index", "build-20200101T000000.000000000"), 0o755)
		}, "bản chỉ mục xây dở", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.damage()
			code, out, _ := ketnoi(t, "check", "--data", data)
			if code != tt.code || !strings.Contains(out, tt.want) {
				t.Errorf("check: exit %d\n%s\nwant %d and %q", code, out, tt.code, tt.want)
			}
			code, out, errOut := ketnoi(t, "check", "--repair", "--json", "--data", data)
			var res checkOutput
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("check --repair --json: %d %v\n%s%s", code, err, out, errOut)
			}
			if code != 0 || !res.Consistent || res.Rebuilt != tt.rebuilt || len(res.Report.Leftovers) != 0 {
				t.Errorf("check --repair: exit %d, rebuilt %v, %+v", code, res.Rebuilt, res.Report)
			}
			if code, out, _ := ketnoi(t, "check", "--data", data); code != 0 || !strings.Contains(out, "Khớp") {
				t.Errorf("check after repair: %d %s", code, out)
			}
		})
	}
}
