package indexer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/bleveidx"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

type env struct {
	t     *testing.T
	data  string
	store *corpus.Store
	idx   indexer.Index
	x     *extract.Extractor
}

func newEnv(t *testing.T) *env {
	t.Helper()
	data := t.TempDir()
	st, err := corpus.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := indexer.OpenCurrent(data, func(dir string) (indexer.Index, error) { return bleveidx.Open(dir) })
	if err != nil {
		t.Fatal(err)
	}
	x := extract.NewExtractor(extract.Options{NoOCR: true}, 1, nil)
	t.Cleanup(func() { x.Close(); idx.Close(); st.Close() })
	return &env{t: t, data: data, store: st, idx: idx, x: x}
}

func (e *env) run(files ...string) (indexer.Summary, map[string]indexer.FileOutcome) {
	e.t.Helper()
	outs := map[string]indexer.FileOutcome{}
	p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 2,
		OnFile: func(o indexer.FileOutcome) { outs[filepath.Base(o.Path)] = o }}
	sum, err := p.Run(context.Background(), files)
	if err != nil {
		e.t.Fatal(err)
	}
	return sum, outs
}

func (e *env) search(q string) []string {
	e.t.Helper()
	res, err := e.idx.Search(context.Background(), &indexer.SearchRequest{Query: indexer.ParseQuery(q), Size: 50})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, h := range res.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".json") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// TestPipelineIncremental walks the life of a folder of reports: first run, rerun (nothing read), a
// changed file, the same report under a second name, a broken file listed with its reason, a sidecar
// correction, a staff edit that survives re-extraction, and pruning of a deleted file.
func TestPipelineIncremental(t *testing.T) {
	pdffixture.NeedFont(t)
	e := newEnv(t)
	dir := t.TempDir()
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bao-cao.pdf"), fx[0].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "ghi-chu.txt"), "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt, mật độ 150 con/m².")
	write(t, filepath.Join(dir, "hong.pdf"), "%PDF-1.4\nrác")

	sum, outs := e.run(listDir(t, dir)...)
	if sum.Added != 2 || sum.FailedCount() != 1 || outs["hong.pdf"].Reason != extract.ReasonMalformed {
		t.Fatalf("first run: %+v %+v", sum, outs)
	}
	pdfID := outs["bao-cao.pdf"].DocID
	if ids := e.search("sấy cá cơm"); len(ids) == 0 || ids[0] != pdfID {
		t.Fatalf("search after indexing: %v, want %s first", ids, pdfID)
	}

	// Rerun: nothing read, the broken file listed again.
	sum, _ = e.run(listDir(t, dir)...)
	if sum.Unchanged != 3 || sum.Added+sum.Updated != 0 || sum.FailedCount() != 1 {
		t.Fatalf("rerun: %+v", sum)
	}

	// A changed file replaces its old version (new content, new id; the old document goes).
	txt := filepath.Join(dir, "ghi-chu.txt")
	oldTxtID := outs["ghi-chu.txt"].DocID
	write(t, txt, "Quy trình nuôi cá chình trong bể xi măng có mái che.")
	future := time.Now().Add(2 * time.Second)
	_ = os.Chtimes(txt, future, future)
	sum, outs = e.run(listDir(t, dir)...)
	if sum.Updated != 1 || sum.Added != 0 || outs["ghi-chu.txt"].Outcome != indexer.OutcomeUpdated || len(e.search(`"cá chình"`)) != 1 {
		t.Fatalf("changed file, want it updated: %+v %+v", sum, outs["ghi-chu.txt"])
	}
	if ids := e.search(`"tôm thẻ chân trắng"`); len(ids) != 0 {
		t.Errorf("old version of the changed file still found: %v (was %s)", ids, oldTxtID)
	}

	// The same report under a second name is one document with two paths.
	if err := os.WriteFile(filepath.Join(dir, "ban-sao.pdf"), fx[0].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, outs = e.run(listDir(t, dir)...)
	if sum.Same != 1 || outs["ban-sao.pdf"].DocID != pdfID || sum.Pages != 0 || len(sum.Rungs) != 0 {
		t.Fatalf("copy: %+v %+v", sum, outs["ban-sao.pdf"])
	}
	ent, err := e.store.Get(pdfID)
	if err != nil || len(ent.Sources) != 2 {
		t.Fatalf("document sources: %v %v", ent, err)
	}

	// A sidecar overrides any field and re-reads the file.
	write(t, filepath.Join(dir, "bao-cao.json"), `{"title": "Sấy cá cơm (tên do cán bộ sửa)", "trl": 6, "field_codes": ["40101"]}`)
	sum, _ = e.run(listDir(t, dir)...)
	rec := getResult(t, e.store, pdfID)
	if sum.Updated == 0 || rec.Title != "Sấy cá cơm (tên do cán bộ sửa)" || rec.TRL != 6 {
		t.Fatalf("sidecar: %+v title %q trl %d", sum, rec.Title, rec.TRL)
	}

	// A staff edit survives re-extraction of the same file.
	rec.Organization = "Viện Nghiên cứu Hải sản (sửa tay)"
	rec.Edited = []string{"organization"}
	if _, err := e.store.Put([]corpus.Record{rec}, "api"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "bao-cao.pdf")
	_ = os.Chtimes(p, future.Add(time.Second), future.Add(time.Second))
	e.run(listDir(t, dir)...)
	if got := getResult(t, e.store, pdfID); got.Organization != "Viện Nghiên cứu Hải sản (sửa tay)" || got.Title != rec.Title {
		t.Errorf("staff edit lost on re-extraction: %q / %q", got.Organization, got.Title)
	}

	// Prune: the chình file is gone from disk, so is its document; the copy keeps the report alive.
	chinh := outs["ghi-chu.txt"].DocID
	_ = chinh
	if err := os.Remove(txt); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "bao-cao.pdf")); err != nil {
		t.Fatal(err)
	}
	del, refused, err := indexer.Prune(context.Background(), e.store, e.idx, []string{dir}, false)
	if err != nil || len(refused) != 0 {
		t.Fatal(refused, err)
	}
	if len(del) != 1 || len(e.search(`"cá chình"`)) != 0 {
		t.Errorf("prune deleted %v", del)
	}
	if ids := e.search("sấy cá cơm"); len(ids) == 0 || ids[0] != pdfID {
		t.Errorf("report with a remaining copy was pruned: %v", ids)
	}
}

func getResult(t *testing.T, st *corpus.Store, id string) *corpus.Result {
	t.Helper()
	ent, err := st.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ent.Decode()
	if err != nil {
		t.Fatal(err)
	}
	r := rec.(*corpus.Result)
	if r.Extraction == nil {
		b, _ := json.Marshal(r)
		t.Fatalf("no extraction info: %s", b)
	}
	return r
}

// touch moves a file's modification time forward, so a run sees it changed whatever the clock's grain.
func touch(t *testing.T, path string, d time.Duration) {
	t.Helper()
	at := time.Now().Add(d)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// indexOneFile indexes a text file holding text into a new index, and returns it, the file and its
// document.
func indexOneFile(t *testing.T, text string) (*env, string, string) {
	e := newEnv(t)
	txt := filepath.Join(t.TempDir(), "bao-cao.txt")
	write(t, txt, text)
	_, outs := e.run(txt)
	return e, txt, outs["bao-cao.txt"].DocID
}

// TestPipelineChangedFileKeepsStaffEdits: a report replaced by a new version (new content, so a new
// document) keeps the fields staff corrected by hand, and its old version leaves the search even though
// the edit is one of its sources.
func TestPipelineChangedFileKeepsStaffEdits(t *testing.T) {
	e, txt, oldID := indexOneFile(t, "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt, mật độ 150 con/m².")
	rec := getResult(t, e.store, oldID)
	rec.Organization = "Viện Nghiên cứu Nuôi trồng Thủy sản III (sửa tay)"
	rec.TRL = 6
	rec.Edited = []string{"organization", "trl"}
	if _, err := e.store.Put([]corpus.Record{rec}, "api"); err != nil {
		t.Fatal(err)
	}

	write(t, txt, "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt, mật độ 200 con/m², bản sửa năm 2024.")
	touch(t, txt, 2*time.Second)
	_, outs := e.run(txt)
	newID := outs["bao-cao.txt"].DocID
	if newID == "" || newID == oldID || outs["bao-cao.txt"].Outcome != indexer.OutcomeUpdated {
		t.Fatalf("changed file, want a new id and the file updated: %+v", outs["bao-cao.txt"])
	}
	got := getResult(t, e.store, newID)
	if got.Organization != rec.Organization || got.TRL != 6 || strings.Join(got.Edited, ",") != "organization,trl" {
		t.Errorf("staff edits lost on the new version: organization %q, trl %d, edited %v", got.Organization, got.TRL, got.Edited)
	}
	if _, err := e.store.Get(oldID); err == nil {
		t.Errorf("old version %s still in the store", oldID)
	}
	if ids := e.search(`"150 con"`); len(ids) != 0 {
		t.Errorf("old version still found: %v", ids)
	}
	if ids := e.search(`"200 con"`); len(ids) != 1 || ids[0] != newID {
		t.Errorf("new version: %v, want [%s]", ids, newID)
	}
}

// TestPruneCopyThenChange: the same report under two names, one removed and pruned, then the other
// changed: the old content goes from the store and the search (the pruned name no longer keeps it).
func TestPruneCopyThenChange(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	for _, p := range []string{a, b} {
		write(t, p, "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt ở Bình Định.")
	}
	_, outs := e.run(a, b)
	oldID := outs["b.txt"].DocID
	if outs["a.txt"].DocID != oldID {
		t.Fatalf("one content, two documents: %+v", outs)
	}
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	del, _, err := indexer.Prune(context.Background(), e.store, e.idx, []string{dir}, false)
	if err != nil || len(del) != 0 {
		t.Fatalf("prune with a copy left deleted %v (%v)", del, err)
	}
	write(t, b, "Nuôi cá chình trong bể xi măng có mái che ở Phù Mỹ.")
	touch(t, b, 2*time.Second)
	e.run(b)
	if del, _, err = indexer.Prune(context.Background(), e.store, e.idx, []string{dir}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Get(oldID); err == nil {
		t.Errorf("document %s of no file left in the store", oldID)
	}
	if ids := e.search(`"tôm thẻ chân trắng"`); len(ids) != 0 {
		t.Errorf("old content still found: %v", ids)
	}
	if ids := e.search(`"cá chình"`); len(ids) != 1 {
		t.Errorf("new content: %v", ids)
	}
}

// TestPipelineSidecarProblems: a sidecar that is not a JSON object fails its file with a Vietnamese
// reason (not indexed without the corrections, under an id staff did not give), and a sidecar giving
// the id of another file's document fails instead of replacing that document's text, whether the other
// file was read in the same run or an earlier one. A file indexed alone with an earlier file's id (an
// upload of a new version) still replaces it.
func TestPipelineSidecarProblems(t *testing.T) {
	tests := []struct {
		name    string
		sidecar string
		want    string // in the failure message; "" when the file goes in
	}{
		{"broken JSON", `{"id": "kq-9", "trl": 4`, "JSON hỏng, lỗi cú pháp ở byte"},
		{"not an object", `["kq-9"]`, "không phải một đối tượng JSON"},
		{"rejected field", `{"trl": "sáu"}`, "tệp kèm: "},
		{"id of another file", `{"id": "kq-1"}`, `mã "kq-1" đã là mã của tài liệu lấy từ tệp khác`},
		{"id of an imported record", `{"id": "kq-5"}`, `mã "kq-5" đã là mã của bản ghi nhập từ tệp ban-ghi.csv`},
		{"own id", `{"id": "kq-9"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			// A record imported from a record file, as `ketnoi index ban-ghi.csv` does.
			imported := &corpus.Result{ID: "kq-5", Kind: corpus.KindResult, Title: "Chế phẩm sinh học xử lý nước thải lò bún"}
			if _, err := e.store.Put([]corpus.Record{imported}, "ban-ghi.csv"); err != nil {
				t.Fatal(err)
			}
			first, second := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
			write(t, first, "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề ven biển.")
			write(t, filepath.Join(dir, "a.json"), `{"id": "kq-1"}`)
			write(t, second, "Giống lúa chịu hạn cho vùng đất cát ven biển Phù Cát.")
			write(t, filepath.Join(dir, "b.json"), tt.sidecar)
			// Both in one run, then again after the second file changed (the first unchanged, not read).
			for round := range 2 {
				if round == 1 {
					write(t, second, "Giống lúa chịu hạn và chịu mặn cho vùng đất cát ven biển Phù Cát.")
					touch(t, second, 2*time.Second)
				}
				sum, outs := e.run(first, second)
				o := outs["b.txt"]
				if tt.want == "" {
					if o.Outcome == indexer.OutcomeFailed || o.DocID != "kq-9" {
						t.Fatalf("round %d: %+v", round, o)
					}
				} else if o.Outcome != indexer.OutcomeFailed || !strings.Contains(o.Message, tt.want) || sum.FailedCount() != 1 {
					t.Fatalf("round %d: outcome %+v, want a failure saying %q", round, o, tt.want)
				}
				if ids := e.search("sấy cá cơm"); len(ids) != 1 || ids[0] != "kq-1" {
					t.Errorf("round %d: the first file's document: %v", round, ids)
				}
				if ids := e.search("lúa chịu hạn"); (len(ids) == 1) != (tt.want == "") {
					t.Errorf("round %d: the second file found as %v", round, ids)
				}
				if ent, err := e.store.Get("kq-5"); err != nil || !strings.Contains(string(ent.Record), "Chế phẩm sinh học") {
					t.Errorf("round %d: the imported record replaced: %v", round, err)
				}
			}
		})
	}

	// Alone, a file with an earlier file's id replaces its document.
	e := newEnv(t)
	dir := t.TempDir()
	for i, text := range []string{"Máy sấy cá cơm bằng bơm nhiệt.", "Máy sấy cá cơm bằng bơm nhiệt, bản sửa có lò đốt trấu."} {
		sub := filepath.Join(dir, fmt.Sprint("job-", i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(sub, "upload.txt"), text)
		write(t, filepath.Join(sub, "upload.json"), `{"id": "kq-1"}`)
		if _, outs := e.run(filepath.Join(sub, "upload.txt")); outs["upload.txt"].DocID != "kq-1" {
			t.Fatalf("upload %d: %+v", i, outs["upload.txt"])
		}
	}
	if ids := e.search(`"lò đốt trấu"`); len(ids) != 1 {
		t.Errorf("new version not indexed: %v", ids)
	}
}

// TestPipelineFilesThatCannotBeRead: a pipe, a folder, a file gone since it was listed each end with
// a Vietnamese reason, without hanging the run (opening a pipe waits for a writer), and the other files
// go in.
func TestPipelineFilesThatCannotBeRead(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "a.txt")
	write(t, good, "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề ven biển.")
	fifo := filepath.Join(dir, "ong.txt")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	tests := []struct{ path, want string }{
		{fifo, "không phải tệp thường"},
		{t.TempDir(), "không phải tệp thường"},
		{filepath.Join(dir, "da-xoa.txt"), "tệp không còn trên đĩa"},
	}
	files := []string{good}
	for _, tt := range tests {
		files = append(files, tt.path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	outs := map[string]indexer.FileOutcome{}
	p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 2,
		OnFile: func(o indexer.FileOutcome) { outs[o.Path] = o }}
	sum, err := p.Run(ctx, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		if o := outs[tt.path]; o.Outcome != indexer.OutcomeFailed || o.Reason != extract.ReasonIO || !strings.Contains(o.Message, tt.want) {
			t.Errorf("%s: %+v, want failed io %q", tt.path, o, tt.want)
		}
	}
	if sum.Added != 1 || sum.FailedCount() != len(tests) || len(e.search("sấy cá cơm")) != 1 {
		t.Errorf("summary %+v", sum)
	}
}

// TestDeletedDocumentStaysDeleted: a document staff deleted is not brought back by a file with the content
// it was read from, however the file comes back: unchanged, touched (copied to another disk, checked out
// again), under another path (a copy, or an upload, whose path is new every time), or with its sidecar
// edited. Each such file is reported unchanged, saying its document is deleted. Asked to restore, the run
// brings it back; a file whose content changed is a new document and goes in.
func TestDeletedDocumentStaysDeleted(t *testing.T) {
	const text = "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt."
	copied := func(t *testing.T, _ string) string {
		cp := filepath.Join(t.TempDir(), "ban-sao.txt")
		write(t, cp, text)
		return cp
	}
	tests := []struct {
		name    string
		change  func(t *testing.T, txt string) string // returns the file to index
		restore bool
		found   int
		outcome string
	}{
		{"unchanged", func(t *testing.T, txt string) string { return txt }, false, 0, indexer.OutcomeUnchanged},
		{"touched", func(t *testing.T, txt string) string { touch(t, txt, 2*time.Second); return txt }, false, 0, indexer.OutcomeUnchanged},
		{"copied", copied, false, 0, indexer.OutcomeUnchanged},
		{"sidecar edited", func(t *testing.T, txt string) string {
			write(t, strings.TrimSuffix(txt, ".txt")+".json", `{"trl": 4}`)
			return txt
		}, false, 0, indexer.OutcomeUnchanged},
		{"unchanged, restored", func(t *testing.T, txt string) string { return txt }, true, 1, indexer.OutcomeAdded},
		{"copied, restored", copied, true, 1, indexer.OutcomeAdded},
		{"content changed", func(t *testing.T, txt string) string {
			write(t, txt, text+" Bản sửa.")
			touch(t, txt, 6*time.Second)
			return txt
		}, false, 1, indexer.OutcomeAdded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, txt, id := indexOneFile(t, text)
			if err := e.store.Delete([]string{id}); err != nil {
				t.Fatal(err)
			}
			if _, err := indexer.Sync(context.Background(), e.store, e.idx, nil); err != nil {
				t.Fatal(err)
			}
			file := tt.change(t, txt)
			var got []indexer.FileOutcome
			p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 1,
				OnFile:  func(o indexer.FileOutcome) { got = append(got, o) },
				Restore: func(string) bool { return tt.restore }}
			sum, err := p.Run(context.Background(), []string{file})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(e.search("tôm thẻ")); n != tt.found || len(got) != 1 || got[0].Outcome != tt.outcome {
				t.Fatalf("found %d, want %d; outcomes %+v, want %s", n, tt.found, got, tt.outcome)
			}
			o, kept := got[0], tt.found == 0
			if o.Deleted != kept || kept && (o.DocID != id || !strings.Contains(o.Message, id+" đã bị xoá") || sum.Deleted != 1) {
				t.Errorf("outcome %+v, summary %+v: want it to say %s stays deleted: %v", o, sum, id, kept)
			}
			if tt.restore && o.DocID != id {
				t.Errorf("restored as %s, want %s", o.DocID, id)
			}
			// Indexed again as it is, the file says the same (the unchanged file's quick path).
			if kept {
				_, outs := e.run(file)
				if again := outs[filepath.Base(file)]; again.Outcome != indexer.OutcomeUnchanged || !again.Deleted || again.Message != o.Message {
					t.Errorf("again: %+v, want %+v", again, o)
				}
			}
		})
	}
}

// TestSidecarCollisionNamesUploadsByTheirNames: two uploads run together whose records give the same id:
// the later fails naming the other by the name it was uploaded under, not the server's path for it.
func TestSidecarCollisionNamesUploadsByTheirNames(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	names := map[string]string{}
	var paths []string
	for i, text := range []string{"Máy sấy cá cơm bằng bơm nhiệt.", "Giống lúa chịu hạn cho vùng đất cát."} {
		job := filepath.Join(dir, fmt.Sprint("job-", i))
		if err := os.Mkdir(job, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(job, "upload.txt")
		write(t, path, text)
		write(t, filepath.Join(job, "upload.json"), `{"id": "kq-1"}`)
		names[path] = fmt.Sprintf("Báo cáo %d.txt", i+1)
		paths = append(paths, path)
	}
	outs := map[string]indexer.FileOutcome{}
	p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 2,
		DisplayName: func(path string) string { return names[path] },
		OnFile:      func(o indexer.FileOutcome) { outs[o.Path] = o }}
	if _, err := p.Run(context.Background(), paths); err != nil {
		t.Fatal(err)
	}
	first, second := outs[paths[0]], outs[paths[1]]
	if first.DocID != "kq-1" || second.Outcome != indexer.OutcomeFailed ||
		!strings.Contains(second.Message, "(Báo cáo 1.txt)") || strings.Contains(second.Message, dir) {
		t.Errorf("first %+v\nsecond %+v", first, second)
	}
}

// TestPruneEmptyRoot: a folder given to prune that has no file left at all while documents came from it
// (a network share not mounted: an empty mount point) is refused, with the number of documents pruning it
// would delete, unless the caller confirms; the other roots are pruned as usual, and a folder that still
// holds any file is pruned.
func TestPruneEmptyRoot(t *testing.T) {
	tests := []struct {
		name    string
		change  func(t *testing.T, share string) // what happens to the share folder
		emptyOK bool
		refused []indexer.PruneRefused // Root filled in by the test
		deleted int                    // documents deleted, the local one included
	}{
		{"share not mounted", unmount, false, []indexer.PruneRefused{{Files: 3, Documents: 2}}, 1},
		{"only empty folders left", func(t *testing.T, share string) {
			unmount(t, share)
			if err := os.MkdirAll(filepath.Join(share, "con", "chau"), 0o755); err != nil {
				t.Fatal(err)
			}
		}, false, []indexer.PruneRefused{{Files: 3, Documents: 2}}, 1},
		{"emptied on purpose, confirmed", unmount, true, nil, 3},
		{"a file left", func(t *testing.T, share string) {
			unmount(t, share)
			write(t, filepath.Join(share, ".keep"), "")
		}, false, nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			base := t.TempDir()
			share, local := filepath.Join(base, "chia-se"), filepath.Join(base, "may")
			for _, d := range []string{filepath.Join(share, "con"), local} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write(t, filepath.Join(share, "a.txt"), "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.")
			write(t, filepath.Join(share, "b.txt"), "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề.")
			write(t, filepath.Join(share, "con", "c.txt"), "Giống lúa chịu hạn cho vùng đất cát ven biển.")
			write(t, filepath.Join(local, "b.txt"), "Máy sấy cá cơm bằng bơm nhiệt cho làng nghề.") // a copy: b stays
			write(t, filepath.Join(local, "x.txt"), "Chế phẩm sinh học xử lý nước thải lò bún.")
			e.run(filepath.Join(share, "a.txt"), filepath.Join(share, "b.txt"), filepath.Join(share, "con", "c.txt"),
				filepath.Join(local, "b.txt"), filepath.Join(local, "x.txt"))
			tc.change(t, share)
			if err := os.Remove(filepath.Join(local, "x.txt")); err != nil {
				t.Fatal(err)
			}

			del, refused, err := indexer.Prune(context.Background(), e.store, e.idx, []string{share, local}, tc.emptyOK)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.refused {
				tc.refused[i].Root = share
			}
			if fmt.Sprint(refused) != fmt.Sprint(tc.refused) || len(del) != tc.deleted {
				t.Errorf("refused %+v, deleted %v; want %+v and %d deleted", refused, del, tc.refused, tc.deleted)
			}
			kept := len(tc.refused) > 0
			for _, q := range []string{`"tôm thẻ"`, `"lúa chịu hạn"`} {
				if found := len(e.search(q)) == 1; found != kept {
					t.Errorf("%s found %v, want %v", q, found, kept)
				}
			}
			if len(e.search(`"sấy cá cơm"`)) != 1 || len(e.search(`"lò bún"`)) != 0 {
				t.Errorf("the copy's report is gone, or the local file's deletion was not pruned")
			}
			if rep, err := indexer.Check(context.Background(), e.store, e.idx); err != nil || !rep.Consistent() {
				t.Errorf("check: %+v %v", rep, err)
			}
		})
	}
}

// unmount leaves share as an empty folder, as a mount point is when its network share is not mounted.
func unmount(t *testing.T, share string) {
	t.Helper()
	if err := os.Rename(share, share+".cu"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(share, 0o755); err != nil {
		t.Fatal(err)
	}
}
