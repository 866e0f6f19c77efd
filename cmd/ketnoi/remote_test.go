package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ketnoi/internal/pdffixture"
)

// TestIndexThroughServer: while `ketnoi serve` holds the data directory, `ketnoi index` names the way
// round it, and `ketnoi index --server URL --key K` uploads a folder through the API, follows the jobs,
// lists the broken file with its reason, and the reports are searchable on the server.
func TestIndexThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	bin, data, u, key := serveWithKey(t, "staff")

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bao-cao.pdf"), fx[0].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "bao-cao.json"), `{"trl": 7, "field_codes": ["40101"]}`)
	writeFile(t, filepath.Join(dir, "hong.pdf"), "%PDF-1.4\nrác")
	if err := os.WriteFile(filepath.Join(dir, "bao-cao-2.pdf"), fx[1].PDF, 0o644); err != nil {
		t.Fatal(err)
	}

	if out, err := exec.Command(bin, "index", "--data", data, dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "--server "+u) {
		t.Errorf("index while serving should point to --server: %v\n%s", err, out)
	}
	if code, _, errOut := ketnoi(t, "index", "--server", u, "--key", "sai", dir); code == 0 || !strings.Contains(errOut, "khoá") {
		t.Errorf("wrong key: exit %d, %s", code, errOut)
	}
	code, stdout, stderr := ketnoi(t, "index", "--server", u, "--key", key, dir)
	if code != 1 || !strings.Contains(stderr, "hong.pdf") || !strings.Contains(stderr, "malformed") || !strings.Contains(stdout, "bao-cao.pdf: mới") {
		t.Fatalf("index --server: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Sent again: the report without a sidecar is known to the server as it is and not sent; the one with
	// a sidecar is (its corrections may have changed), and the broken one fails again.
	jobsBefore := len(remoteJobs(t, u, key))
	code, stdout, stderr = ketnoi(t, "index", "--server", u, "--key", key, dir)
	if code != 1 || !strings.Contains(stdout, "0 mới, 1 cập nhật, 1 không đổi") || !strings.Contains(stderr, "hong.pdf") {
		t.Errorf("index --server again: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if n := len(remoteJobs(t, u, key)); n != jobsBefore+2 {
		t.Errorf("%d jobs after sending again, want %d (the unchanged report not sent)", n, jobsBefore+2)
	}
	// A broker's key is refused before anything, even when nothing would be sent.
	broker, err := exec.Command(bin, "keys", "create", "--data", data, "--name", "Môi giới thử", "--role", "broker").Output()
	if err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := ketnoi(t, "index", "--server", u, "--key", strings.TrimSpace(string(broker)), dir); code == 0 || !strings.Contains(errOut, "khoá cán bộ") {
		t.Errorf("broker key: exit %d, %s", code, errOut)
	}

	resp, err := http.Get(u + "api/v1/search?q=" + url.QueryEscape("sấy cá cơm"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Hits []struct {
			ID  string
			TRL int
		}
	}
	json.NewDecoder(resp.Body).Decode(&res)
	if len(res.Hits) == 0 || res.Hits[0].TRL != 7 {
		t.Errorf("search on the server after upload: %+v", res)
	}

	// After the import, the running server merges its own index.
	if out, err := exec.Command(bin, "compact", "--data", data).CombinedOutput(); err == nil || !strings.Contains(string(out), "compact --server "+u) {
		t.Errorf("compact while serving should point to --server: %v\n%s", err, out)
	}
	if code, _, errOut := ketnoi(t, "compact", "--server", u, "--key", "sai"); code == 0 || !strings.Contains(errOut, "401") {
		t.Errorf("compact with a wrong key: exit %d, %s", code, errOut)
	}
	code, stdout, stderr = ketnoi(t, "compact", "--server", u, "--key", key)
	if code != 0 || !strings.Contains(stdout, "Máy chủ bắt đầu gộp chỉ mục") || !regexp.MustCompile(`Đã gộp chỉ mục trong .*: [\d.]+ MB → [\d.]+ MB`).MatchString(stdout) {
		t.Errorf("compact --server: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if r2, err := http.Get(u + "api/v1/search?q=" + url.QueryEscape("sấy cá cơm")); err != nil || r2.StatusCode != 200 {
		t.Errorf("search after the merge: %v", err)
	} else {
		r2.Body.Close()
	}
}

// TestDeleteKeepsOriginalUntilPurge: delete takes a document out of search at once; its original file
// stays in the store until --purge.
func TestDeleteKeepsOriginalUntilPurge(t *testing.T) {
	dir, data := t.TempDir(), filepath.Join(t.TempDir(), "data")
	writeFile(t, filepath.Join(dir, "ghi-chu.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	if code, out, errOut := ketnoi(t, "index", "--data", data, "--no-ocr", "--report", filepath.Join(dir, "r.json"), dir); code != 0 {
		t.Fatalf("index: %d %s %s", code, out, errOut)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	var rows []struct {
		DocID string `json:"doc_id"`
	}
	json.Unmarshal(b, &rows)
	if len(rows) != 1 || rows[0].DocID == "" {
		t.Fatalf("report: %s", b)
	}
	id := rows[0].DocID
	originals := func() int {
		m, _ := filepath.Glob(filepath.Join(data, "originals", "*", "*"))
		return len(m)
	}
	before := originals()
	if code, _, errOut := ketnoi(t, "delete", "--data", data, id); code != 0 {
		t.Fatalf("delete: %d %s", code, errOut)
	}
	if _, out, _ := ketnoi(t, "search", "--data", data, "--json", `"cá bớp"`); !strings.Contains(out, `"total": 0`) && !strings.Contains(out, `"total":0`) {
		t.Errorf("found after delete: %s", out)
	}
	if originals() != before {
		t.Errorf("original removed without --purge")
	}
	if code, _, errOut := ketnoi(t, "delete", "--data", data, "--purge", id); code != 0 || originals() != before-1 {
		t.Errorf("purge: exit %d, originals %d → %d: %s", code, before, originals(), errOut)
	}
}

// serveWithKey builds the binary, starts `ketnoi serve` on a new data directory and makes a key of the
// role for it.
func serveWithKey(t *testing.T, role string) (bin, data, u, key string) {
	t.Helper()
	bin = buildBinary(t)
	data = filepath.Join(t.TempDir(), "data")
	_, u = startServe(t, bin, data)
	out, err := exec.Command(bin, "keys", "create", "--data", data, "--name", "Thử "+role, "--role", role).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	return bin, data, u, strings.TrimSpace(string(out))
}

// remoteJobs lists the upload jobs a server knows.
func remoteJobs(t *testing.T, u, key string) []json.RawMessage {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u+"api/v1/jobs", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jobs struct{ Jobs []json.RawMessage }
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&jobs) != nil {
		t.Fatalf("GET /api/v1/jobs: %d", resp.StatusCode)
	}
	return jobs.Jobs
}

// TestDeletedDocumentLocallyAndThroughServer: a document staff deleted stays deleted when its folder is
// indexed again, whether by `ketnoi index` or by `ketnoi index --server`, and both say so in the same
// words: the same summary line and the same --report row. The server is asked, the file not sent again
// (uploads counted by its jobs). --restore-deleted brings it back, both ways.
func TestDeletedDocumentLocallyAndThroughServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ca-bop.txt"), "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	_, _, u, key := serveWithKey(t, "staff")
	local := filepath.Join(t.TempDir(), "data")

	type row struct {
		Outcome string `json:"outcome"`
		DocID   string `json:"doc_id"`
		Message string `json:"message"`
		Deleted bool   `json:"deleted"`
	}
	ways := []struct {
		name   string
		index  func(extra ...string) (int, string, string)
		delete func(id string)
		sent   func() int // files sent so far
	}{
		{"local", func(extra ...string) (int, string, string) {
			return ketnoi(t, append([]string{"index", "--data", local, "--no-ocr", dir}, extra...)...)
		}, func(id string) {
			if code, _, errOut := ketnoi(t, "delete", "--data", local, id); code != 0 {
				t.Fatalf("delete: %s", errOut)
			}
		}, func() int { return 0 }},
		{"server", func(extra ...string) (int, string, string) {
			return ketnoi(t, append([]string{"index", "--server", u, "--key", key, dir}, extra...)...)
		}, func(id string) {
			req, _ := http.NewRequest(http.MethodDelete, u+"api/v1/results/"+id, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusNoContent {
				t.Fatalf("DELETE %s: %v %v", id, err, resp)
			}
			resp.Body.Close()
		}, func() int { return len(remoteJobs(t, u, key)) }},
	}
	summaries, reports := map[string]string{}, map[string]row{}
	for _, w := range ways {
		rep := filepath.Join(t.TempDir(), "r.json")
		if code, stdout, stderr := w.index("--report", rep); code != 0 || !strings.Contains(stdout, "1 mới") {
			t.Fatalf("%s: first index: %d\n%s\n%s", w.name, code, stdout, stderr)
		}
		var rows []row
		b, _ := os.ReadFile(rep)
		if json.Unmarshal(b, &rows) != nil || len(rows) != 1 {
			t.Fatalf("%s: report %s", w.name, b)
		}
		w.delete(rows[0].DocID)
		sent := w.sent()
		code, stdout, stderr := w.index("--report", rep)
		if n := w.sent(); n != sent {
			t.Errorf("%s: the deleted document's file was sent again (%d uploads, was %d)", w.name, n, sent)
		}
		b, _ = os.ReadFile(rep)
		rows = nil
		if code != 0 || json.Unmarshal(b, &rows) != nil || len(rows) != 1 {
			t.Fatalf("%s: index after the delete: %d %s\n%s\n%s", w.name, code, b, stdout, stderr)
		}
		summaries[w.name] = regexp.MustCompile(`Báo cáo: .*`).FindString(stdout)
		reports[w.name] = rows[0]
		if r := rows[0]; r.Outcome != "unchanged" || !r.Deleted || !strings.Contains(r.Message, "đã bị xoá") {
			t.Errorf("%s: report row %+v, want the document left deleted", w.name, r)
		}
		if code, stdout, stderr := w.index("--restore-deleted"); code != 0 || !strings.Contains(stdout, "1 mới") {
			t.Errorf("%s: --restore-deleted: %d\n%s\n%s", w.name, code, stdout, stderr)
		}
		if w.name == "server" && w.sent() != sent+1 {
			t.Errorf("server: --restore-deleted did not send the file")
		}
	}
	if summaries["local"] != summaries["server"] || !strings.Contains(summaries["local"], "1 không đổi") ||
		!strings.Contains(summaries["local"], "1 tệp của tài liệu đã bị xoá") {
		t.Errorf("summaries differ or do not say it:\nlocal:  %s\nserver: %s", summaries["local"], summaries["server"])
	}
	if reports["local"] != reports["server"] {
		t.Errorf("reports differ:\nlocal:  %+v\nserver: %+v", reports["local"], reports["server"])
	}
	resp, err := http.Get(u + "api/v1/results/" + reports["server"].DocID)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the document on the server after --restore-deleted: %s", resp.Status)
	}
}
