package indexer_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ketnoi/indexer"
	"ketnoi/internal/pdffixture"
)

// TestFileComesBackToAnEarlierContent: a document that went because its file changed or was pruned is not
// one staff deleted. A file changed back to an earlier version's content brings that version back (and
// replaces the current one), and a file put back after --prune is indexed again; neither is held as a
// deleted document.
func TestFileComesBackToAnEarlierContent(t *testing.T) {
	const v1, v2 = "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.", "Quy trình nuôi cá chình trong bể xi măng có mái che."
	tests := []struct {
		name string
		back func(t *testing.T, e *env, dir, txt string) // makes txt hold v1 again
		want string                                      // the outcome of v1 coming back
	}{
		{"changed back", func(t *testing.T, e *env, dir, txt string) {
			write(t, txt, v2)
			touch(t, txt, 2*time.Second)
			if _, outs := e.run(txt); outs["a.txt"].Outcome != indexer.OutcomeUpdated {
				t.Fatalf("second version: %+v", outs["a.txt"])
			}
			write(t, txt, v1)
			touch(t, txt, 4*time.Second)
		}, indexer.OutcomeUpdated},
		{"pruned, put back", func(t *testing.T, e *env, dir, txt string) {
			if err := os.Remove(txt); err != nil {
				t.Fatal(err)
			}
			if del, _, err := indexer.Prune(context.Background(), e.store, e.idx, []string{dir}, true); err != nil || len(del) != 1 {
				t.Fatalf("prune: %v %v", del, err)
			}
			write(t, txt, v1)
		}, indexer.OutcomeAdded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			txt := filepath.Join(dir, "a.txt")
			write(t, txt, v1)
			_, outs := e.run(txt)
			id := outs["a.txt"].DocID
			tt.back(t, e, dir, txt)
			sum, outs := e.run(txt)
			o := outs["a.txt"]
			if o.Outcome != tt.want || o.Deleted || o.DocID != id || sum.Deleted != 0 {
				t.Fatalf("v1 back: %+v, summary %+v; want %s as %s", o, sum, tt.want, id)
			}
			if ids := e.search("tôm thẻ"); len(ids) != 1 || ids[0] != id {
				t.Errorf("v1 found as %v, want [%s]", ids, id)
			}
			if ids := e.search("cá chình"); len(ids) != 0 {
				t.Errorf("the version v1 replaced still found: %v", ids)
			}
			if _, err := e.store.Get(id); err != nil {
				t.Errorf("v1 not live in the store: %v", err)
			}
			// And it stays: the next run finds the file unchanged, its document live.
			if _, outs = e.run(txt); outs["a.txt"].Outcome != indexer.OutcomeUnchanged || outs["a.txt"].Deleted {
				t.Errorf("rerun: %+v", outs["a.txt"])
			}
			if ids := e.search("tôm thẻ"); len(ids) != 1 {
				t.Errorf("after the rerun v1 found as %v", ids)
			}
		})
	}
}

// TestSidecarIDOfDeletedDocument: a report whose sidecar gives its id is that document whatever its
// content, so once staff deleted it a new version of the file (or another file with the same sidecar id)
// leaves it deleted, as an imported record's id does, unless restoring is asked for.
func TestSidecarIDOfDeletedDocument(t *testing.T) {
	const id = "kq-rieng-01"
	tests := []struct {
		name    string
		text    string // the file's content when indexed again
		restore bool
		found   int
		outcome string
	}{
		{"same content", "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.", false, 0, indexer.OutcomeUnchanged},
		{"content changed", "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt, bản sửa lần hai.", false, 0, indexer.OutcomeUnchanged},
		{"content changed, restored", "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt, bản sửa lần hai.", true, 1, indexer.OutcomeAdded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			txt := filepath.Join(t.TempDir(), "bao-cao.txt")
			write(t, txt, tests[0].text)
			write(t, strings.TrimSuffix(txt, ".txt")+".json", `{"id": "`+id+`"}`)
			if _, outs := e.run(txt); outs["bao-cao.txt"].DocID != id {
				t.Fatalf("first run: %+v", outs)
			}
			if err := e.store.Delete([]string{id}); err != nil {
				t.Fatal(err)
			}
			if _, err := indexer.Sync(context.Background(), e.store, e.idx, nil); err != nil {
				t.Fatal(err)
			}
			write(t, txt, tt.text)
			touch(t, txt, 3*time.Second)
			var got []indexer.FileOutcome
			p := &indexer.Pipeline{Store: e.store, Index: e.idx, Extractor: e.x, Workers: 1,
				OnFile:  func(o indexer.FileOutcome) { got = append(got, o) },
				Restore: func(string) bool { return tt.restore }}
			if _, err := p.Run(context.Background(), []string{txt}); err != nil {
				t.Fatal(err)
			}
			if n := len(e.search("tôm thẻ")); n != tt.found || len(got) != 1 || got[0].Outcome != tt.outcome || got[0].DocID != id {
				t.Fatalf("found %d, want %d; outcomes %+v, want %s of %s", n, tt.found, got, tt.outcome, id)
			}
			if tt.found == 1 {
				return
			}
			o := got[0]
			if !o.Deleted || !strings.Contains(o.Message, id+" đã bị xoá") {
				t.Errorf("outcome %+v: want it to say %s stays deleted", o, id)
			}
			// The next run takes the unchanged file's quick path and says the same.
			if _, outs := e.run(txt); outs["bao-cao.txt"].Message != o.Message || !outs["bao-cao.txt"].Deleted {
				t.Errorf("again: %+v, want %+v", outs["bao-cao.txt"], o)
			}
		})
	}
}

// TestChangedCopyIsNew: a file that changes while another file still holds its old content gives a new
// document beside the old one, reported new; the last file to leave the old content replaces it, reported
// updated.
func TestChangedCopyIsNew(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	const text = "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt."
	write(t, a, text)
	write(t, b, text)
	_, outs := e.run(a, b)
	shared := outs["a.txt"].DocID
	write(t, a, "Quy trình nuôi cá chình trong bể xi măng có mái che.")
	touch(t, a, 2*time.Second)
	sum, outs := e.run(a, b)
	if o := outs["a.txt"]; o.Outcome != indexer.OutcomeAdded || sum.Updated != 0 || sum.Added != 1 {
		t.Errorf("a changed copy: %+v, summary %+v; want it new, the copy keeping %s", o, sum, shared)
	}
	if ids := e.search("tôm thẻ"); len(ids) != 1 || ids[0] != shared {
		t.Errorf("the content the other file still holds: %v, want [%s]", ids, shared)
	}
	write(t, b, "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn.")
	touch(t, b, 4*time.Second)
	if _, outs = e.run(a, b); outs["b.txt"].Outcome != indexer.OutcomeUpdated {
		t.Errorf("the last file leaving the old content: %+v, want it updated", outs["b.txt"])
	}
	if ids := e.search("tôm thẻ"); len(ids) != 0 {
		t.Errorf("old content still found: %v", ids)
	}
}

// TestUnreadableNewVersionKeepsTheOld: a report whose file is replaced by an unreadable one fails, says
// so, and stays in search with its last readable version, on that run and the next; the next readable
// version replaces it.
func TestUnreadableNewVersionKeepsTheOld(t *testing.T) {
	pdffixture.NeedFont(t)
	fx, err := pdffixture.BuildTextFixtures()
	if err != nil || len(fx) < 2 {
		t.Fatalf("fixtures: %v", err)
	}
	e := newEnv(t)
	pdf := filepath.Join(t.TempDir(), "bao-cao.pdf")
	if err := os.WriteFile(pdf, fx[0].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	_, outs := e.run(pdf)
	old := outs["bao-cao.pdf"].DocID
	found := func() []string { return e.search("sấy cá cơm") }
	if ids := found(); len(ids) == 0 || ids[0] != old {
		t.Fatalf("first version not found: %v", ids)
	}
	write(t, pdf, "%PDF-1.4\nrác")
	touch(t, pdf, 2*time.Second)
	for run := range 2 {
		sum, outs := e.run(pdf)
		o := outs["bao-cao.pdf"]
		// The run after lists it as still failed (unchanged, with its reason).
		if o.Reason == "" || sum.FailedCount() != 1 || !strings.Contains(o.Message, old+") vẫn được giữ") {
			t.Errorf("run %d over the unreadable version: %+v", run, o)
		}
		if ids := found(); len(ids) == 0 || ids[0] != old {
			t.Errorf("run %d: the last readable version left search: %v", run, ids)
		}
	}
	if err := os.WriteFile(pdf, fx[1].PDF, 0o644); err != nil {
		t.Fatal(err)
	}
	touch(t, pdf, 4*time.Second)
	if _, outs = e.run(pdf); outs["bao-cao.pdf"].Outcome != indexer.OutcomeUpdated {
		t.Errorf("the next readable version: %+v, want it replacing %s", outs["bao-cao.pdf"], old)
	}
	if _, err := e.store.Get(old); err == nil {
		t.Errorf("the version %s replaced is still in the store", old)
	}
}

// TestCopiesChangedTogether: two files giving one document both change in one run, to two contents or to
// one: the first written is a new document, the last to leave the old one replaces it (updated), whatever
// order the workers took, also when its new content is the one the first just gave.
func TestCopiesChangedTogether(t *testing.T) {
	const old, chinh, bop = "Quy trình nuôi tôm thẻ chân trắng trong ao lót bạt.",
		"Quy trình nuôi cá chình trong bể xi măng có mái che.", "Quy trình nuôi cá bớp trong lồng bè ở vịnh Quy Nhơn."
	for _, tc := range []struct{ name, a, b string }{
		{"to two contents", chinh, bop},
		{"to one content", chinh, chinh},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
			write(t, a, old)
			write(t, b, old)
			_, outs := e.run(a, b)
			shared := outs["a.txt"].DocID
			write(t, a, tc.a)
			write(t, b, tc.b)
			touch(t, a, 2*time.Second)
			touch(t, b, 2*time.Second)
			sum, outs := e.run(a, b)
			if sum.Added != 1 || sum.Updated != 1 {
				t.Errorf("both copies changed: %+v (a %s, b %s), want one new and one updated", sum, outs["a.txt"].Outcome, outs["b.txt"].Outcome)
			}
			to, err := e.store.Replacement(shared)
			if err != nil || to == "" {
				t.Fatalf("the shared document %s not replaced: %q %v", shared, to, err)
			}
			for _, o := range outs {
				if o.Outcome == indexer.OutcomeUpdated && o.DocID != to || tc.a != tc.b && o.Outcome != indexer.OutcomeUpdated && o.DocID == to {
					t.Errorf("%s: %s as %s; the shared document went to %s", filepath.Base(o.Path), o.Outcome, o.DocID, to)
				}
			}
		})
	}
}
