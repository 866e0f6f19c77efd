package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestIndexFolderOddities: a folder with a link to a report, a link looping back to a parent, a
// dangling link, a named pipe (in the folder and named on the command line), Word's owner file of an
// open report, a report in a hidden folder (the trash) and a name in Unicode NFD:
// the reports go in (the linked one too), every odd entry is named with a Vietnamese reason, nothing
// hangs, and the exit code says something was not read.
func TestIndexFolderOddities(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	docs := filepath.Join(dir, "bao-cao")
	other := filepath.Join(dir, "ngoai")
	for _, d := range []string{filepath.Join(docs, "con"), filepath.Join(docs, ".Trash-1000", "files"), other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(docs, "a.txt"), "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.")
	writeFile(t, filepath.Join(docs, "ba\u0301o-ca\u0301o.txt"), "Giống lúa chịu hạn cho vùng đất cát ven biển.")
	writeFile(t, filepath.Join(other, "say.txt"), "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề.")
	// A report deleted to the trash, inside a hidden folder: not to be indexed.
	writeFile(t, filepath.Join(docs, ".Trash-1000", "files", "cu.txt"), "Chế phẩm sinh học xử lý nước thải lò bún (đã xoá).")
	// Word's owner file while a report is open: not a report.
	writeFile(t, filepath.Join(docs, "~$bao-cao.docx"), "\x0cNguyen Van A"+strings.Repeat(" ", 41)+"\x0c\x00"+
		strings.Join(strings.Split("Nguyen Van A", ""), "\x00")+strings.Repeat("\x00", 90))
	pipe := filepath.Join(docs, "ong.txt")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	links := map[string]string{
		filepath.Join(docs, "con", "say.txt"):  filepath.Join(other, "say.txt"),
		filepath.Join(docs, "con", "vong"):     "..",
		filepath.Join(docs, "con", "hong.txt"): filepath.Join(dir, "khong-co.txt"),
	}
	for link, target := range links {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := ketnoi(t, "index", "--data", data, "--no-ocr", docs, pipe)
	if code != 1 {
		t.Errorf("exit code %d, want 1\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{
		"ong.txt: không phải tệp thường",
		"vong: liên kết tới thư mục, không đọc theo",
		"hong.txt: liên kết tượng trưng trỏ tới tệp không có",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if strings.Contains(errOut, "~$") {
		t.Errorf("Word's owner file read as a report:\n%s", errOut)
	}
	if n := strings.Count(errOut, "ong.txt: không phải tệp thường"); n != 2 {
		t.Errorf("the pipe is named %d times, want 2 (in the folder and on the command line):\n%s", n, errOut)
	}
	if code, out, _ := ketnoi(t, "search", "--data", data, "--json", "chế phẩm sinh học"); code != 0 || !strings.Contains(out, `"total": 0`) {
		t.Errorf("a report in a hidden folder was indexed: %d\n%s", code, out)
	}
	for _, q := range []string{"tôm thẻ", "lúa chịu hạn", "sấy cá cơm"} {
		if code, out, _ := ketnoi(t, "search", "--data", data, "--json", q); code != 0 || !strings.Contains(out, `"total": 1`) {
			t.Errorf("%q: %d\n%s", q, code, out)
		}
	}
}

// TestPruneSkipsUnreadableRoot: --prune with a folder that cannot be read now (a share not mounted, a
// typo) deletes nothing under it and says so; once the folder is back and a report really gone, pruning
// deletes that one and says how many. A folder left entirely empty is pruned only with --prune-empty.
func TestPruneSkipsUnreadableRoot(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	// indexFolder makes a folder of reports (name → text) and indexes it.
	indexFolder := func(folder string, reports map[string]string) {
		t.Helper()
		if err := os.Mkdir(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, text := range reports {
			writeFile(t, filepath.Join(folder, name), text)
		}
		if code, out, errOut := ketnoi(t, "index", "--data", data, folder); code != 0 {
			t.Fatalf("index %s: %d\n%s\n%s", folder, code, out, errOut)
		}
	}
	share := filepath.Join(dir, "chia-se")
	indexFolder(share, map[string]string{"a.txt": "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.",
		"b.txt": "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề."})
	found := func(q string) bool {
		_, out, _ := ketnoi(t, "search", "--data", data, "--json", q)
		return strings.Contains(out, `"total": 1`)
	}
	unmounted := share + ".cu"
	if err := os.Rename(share, unmounted); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := ketnoi(t, "index", "--data", data, "--prune", share)
	if code != 1 || !strings.Contains(errOut, "KHÔNG DỌN "+share) {
		t.Errorf("prune of a missing folder: exit %d\n%s", code, errOut)
	}
	if !found("tôm thẻ") || !found("sấy cá cơm") {
		t.Fatal("documents of a folder that could not be read were deleted")
	}
	if err := os.Rename(unmounted, share); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(share, "a.txt")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := ketnoi(t, "index", "--data", data, "--prune", share)
	if code != 0 || !strings.Contains(out, "1 tài liệu đã xoá vì tệp không còn") || found("tôm thẻ") || !found("sấy cá cơm") {
		t.Errorf("prune after a report was removed: exit %d\n%s\n%s", code, out, errOut)
	}
	// The folder emptied, as an unmounted share's mount point is: not pruned unless confirmed, and said
	// with the folder, what it would delete and the flag; the other paths of the run are still pruned.
	if err := os.Remove(filepath.Join(share, "b.txt")); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "khac")
	indexFolder(other, map[string]string{"c.txt": "Giống lúa chịu hạn cho vùng đất cát ven biển.",
		"d.txt": "Chế phẩm sinh học xử lý nước thải lò bún."})
	if err := os.Remove(filepath.Join(other, "c.txt")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = ketnoi(t, "index", "--data", data, "--prune", share, other)
	if code != 1 || !strings.Contains(errOut, "KHÔNG DỌN "+share+": thư mục trống hẳn") ||
		!strings.Contains(errOut, "sẽ xoá 1 tài liệu") || !strings.Contains(errOut, "--prune --prune-empty") {
		t.Errorf("prune of an emptied folder: exit %d\n%s\n%s", code, out, errOut)
	}
	if !found("sấy cá cơm") || found("lúa chịu hạn") || !found("lò bún") {
		t.Error("an empty folder's documents were deleted, or another folder's were not pruned")
	}
	if code, _, errOut := ketnoi(t, "index", "--data", data, "--prune-empty", share); code != 2 || !strings.Contains(errOut, "--prune-empty chỉ dùng cùng --prune") {
		t.Errorf("--prune-empty alone: exit %d\n%s", code, errOut)
	}
	code, out, errOut = ketnoi(t, "index", "--data", data, "--prune", "--prune-empty", share)
	if code != 0 || !strings.Contains(out, "Đã xoá 1 tài liệu vì tệp không còn") || found("sấy cá cơm") {
		t.Errorf("prune of an emptied folder, confirmed: exit %d\n%s\n%s", code, out, errOut)
	}
}

// TestIndexFolderHoldingTheDataDirectory: `ketnoi index .` in a folder of reports that also holds the data
// directory (./data by default) reads the reports, not the data directory's own files (the index's
// metadata, kept originals, uploads): a rerun is clean and exits 0.
func TestIndexFolderHoldingTheDataDirectory(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	writeFile(t, filepath.Join(dir, "bao-cao.txt"), "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.")
	writeFile(t, filepath.Join(dir, "ban-ghi.jsonl"), `{"id":"kq-1","kind":"result","title":"Máy sấy cá cơm bằng bơm nhiệt"}`+"\n")
	for run := range 2 {
		code, out, errOut := ketnoi(t, "index", "--data", data, dir)
		if code != 0 || strings.Contains(out+errOut, "data/") {
			t.Errorf("run %d: exit %d\n%s\n%s", run, code, out, errOut)
		}
	}
	_, out, _ := ketnoi(t, "stats", "--data", data, "--json")
	if !strings.Contains(out, `"result": 2`) {
		t.Errorf("stats: %s", out)
	}
}

// TestIndexReportKeptInTheFolder: `ketnoi index . --report ket-qua.csv` run again in the same folder does
// not import the earlier run's report as a record file (its rows would all be rejected).
func TestIndexReportKeptInTheFolder(t *testing.T) {
	for _, name := range []string{"ket-qua.csv", "ket-qua.json"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(t.TempDir(), "data")
			writeFile(t, filepath.Join(dir, "bao-cao.txt"), "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.")
			report := filepath.Join(dir, name)
			for run := range 2 {
				code, out, errOut := ketnoi(t, "index", "--data", data, "--report", report, dir)
				if code != 0 || strings.Contains(out+errOut, name+":") || strings.Contains(errOut, name+",") {
					t.Errorf("run %d: exit %d\n%s\n%s", run, code, out, errOut)
				}
			}
			if b, err := os.ReadFile(report); err != nil || !strings.Contains(string(b), "bao-cao.txt") {
				t.Errorf("report: %v\n%s", err, b)
			}
		})
	}
}
