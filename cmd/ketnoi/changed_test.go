package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

// TestChangedFileLocallyAndThroughServer: a report whose file changed replaces its previous version and
// is reported "cập nhật" (updated), not "mới", whether the folder is indexed by `ketnoi index` or sent by
// `ketnoi index --server`: the same line, summary and --report row; on the server, as locally, the old
// version is gone and the correction staff made on it is kept. The server knows both versions as the file
// of the same absolute path, as a local run does.
func TestChangedFileLocallyAndThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	_, _, u, key := serveWithKey(t, "staff")
	type row struct {
		Outcome string `json:"outcome"`
		DocID   string `json:"doc_id"`
	}
	report := func(rep string) row {
		t.Helper()
		var rows []row
		b, _ := os.ReadFile(rep)
		if json.Unmarshal(b, &rows) != nil || len(rows) != 1 {
			t.Fatalf("report %s", b)
		}
		return rows[0]
	}
	local := filepath.Join(t.TempDir(), "data")
	ways := []struct {
		name  string
		index func(dir string, extra ...string) (int, string, string)
	}{
		{"local", func(dir string, extra ...string) (int, string, string) {
			return ketnoi(t, append([]string{"index", "--data", local, "--no-ocr", dir}, extra...)...)
		}},
		{"server", func(dir string, extra ...string) (int, string, string) {
			return ketnoi(t, append([]string{"index", "--server", u, "--key", key, dir}, extra...)...)
		}},
	}
	summaries, reports := map[string]string{}, map[string]row{}
	for _, w := range ways {
		dir := filepath.Join(t.TempDir(), "bao-cao")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		txt := filepath.Join(dir, "ca-bop.txt")
		writeFile(t, txt, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 5 con/m³.")
		rep := filepath.Join(t.TempDir(), "r.json")
		if code, stdout, stderr := w.index(dir, "--report", rep); code != 0 || !strings.Contains(stdout, "1 mới, 0 cập nhật") {
			t.Fatalf("%s: first index: %d\n%s\n%s", w.name, code, stdout, stderr)
		}
		first := report(rep)
		if w.name == "server" {
			req, _ := http.NewRequest(http.MethodPatch, u+"api/v1/results/"+first.DocID, strings.NewReader(`{"trl": 6}`))
			req.Header.Set("Authorization", "Bearer "+key)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("PATCH %s: %v %v", first.DocID, err, resp)
			} else {
				resp.Body.Close()
			}
		}

		writeFile(t, txt, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn, mật độ 8 con/m³, bản sửa năm 2025.")
		later := time.Now().Add(2 * time.Second)
		if err := os.Chtimes(txt, later, later); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := w.index(dir, "--report", rep)
		second := report(rep)
		if code != 0 || second.Outcome != "updated" || second.DocID == first.DocID || second.DocID == "" ||
			!strings.Contains(stdout, "ca-bop.txt: cập nhật "+second.DocID) {
			t.Fatalf("%s: changed file: %d, report %+v (was %+v)\n%s\n%s", w.name, code, second, first, stdout, stderr)
		}
		summaries[w.name] = regexp.MustCompile(`Báo cáo: .*`).FindString(stdout)
		reports[w.name] = second
		if w.name == "server" {
			jobs := remoteJobs(t, u, key)
			if len(jobs) != 2 {
				t.Errorf("%d upload jobs, want the 2 versions", len(jobs))
			}
			for _, raw := range jobs {
				var j struct {
					Source string `json:"source_file"`
				}
				if json.Unmarshal(raw, &j) != nil || j.Source != filepath.ToSlash(txt) {
					t.Errorf("upload job %s, want it labelled %s", raw, filepath.ToSlash(txt))
				}
			}
			resp, err := http.Get(u + "api/v1/results/" + first.DocID) // follows the old id to the new version
			var rec struct {
				ID  string
				TRL int
			}
			if err != nil || resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&rec) != nil ||
				rec.ID != second.DocID || rec.TRL != 6 {
				t.Errorf("old id on the server: %v %v %+v, want %s with the correction", err, resp, rec, second.DocID)
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	}
	if summaries["local"] != summaries["server"] || !strings.Contains(summaries["local"], "0 mới, 1 cập nhật") {
		t.Errorf("summaries differ or do not say it:\nlocal:  %s\nserver: %s", summaries["local"], summaries["server"])
	}
	if reports["local"] != reports["server"] {
		t.Errorf("reports differ:\nlocal:  %+v\nserver: %+v", reports["local"], reports["server"])
	}
}

// TestSourceFileLabels: the label a file is sent under is its absolute path, slash-separated and in NFC,
// however it was reached; a label the server would refuse (too long, a control character) is an error.
func TestSourceFileLabels(t *testing.T) {
	base := filepath.Join(t.TempDir(), "bao-cao")
	file := filepath.Join(base, "2024", "cá bớp.pdf")
	abs := filepath.ToSlash(file)
	t.Chdir(filepath.Dir(base))
	long := filepath.Join(base, strings.Repeat("a", 200), strings.Repeat("b", 200), strings.Repeat("c", 200),
		strings.Repeat("d", 200), strings.Repeat("e", 200), "f.pdf")
	for _, tc := range []struct {
		name, path, want, err string
	}{
		{"absolute", file, abs, ""},
		{"relative", filepath.Join("bao-cao", "2024", "cá bớp.pdf"), abs, ""},
		{"unclean", filepath.Join(base, "2024", "..", "2024", ".", "cá bớp.pdf"), abs, ""},
		{"NFD name, kept as it is", norm.NFD.String(file), norm.NFD.String(abs), ""},
		{"space at the end, kept", file + " ", abs + " ", ""},
		{"tab in the name", filepath.Join(base, "cá\tbớp.pdf"), "", "ký tự điều khiển"},
		{"over 1024 bytes", long, "", "quá giới hạn 1024 byte"},
	} {
		got, err := sourceFile(tc.path)
		if got != tc.want || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %q, %v; want %q, error %q", tc.name, got, err, tc.want, tc.err)
		}
	}
	// Where the file system finds a name whatever its normalisation (macOS), the NFD spelling of a path is
	// the same file, and gets the same label.
	defer func(was bool) { labelsNFC = was }(labelsNFC)
	labelsNFC = true
	if got, err := sourceFile(norm.NFD.String(file)); got != abs || err != nil {
		t.Errorf("NFD name where names are found in any normalisation: %q, %v; want %q", got, err, abs)
	}
}
