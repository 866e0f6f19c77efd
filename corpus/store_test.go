package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func res(id, title string) *Result { return &Result{ID: id, Kind: KindResult, Title: title} }

func changes(t *testing.T, s *Store, after uint64) (ids []string, deleted []string) {
	t.Helper()
	_, err := s.Changes(after, 0, func(e *Entry) error {
		if e.Deleted {
			deleted = append(deleted, e.ID)
		} else {
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, deleted
}

func TestStorePutIsIdempotentAndOrdered(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := s.Put([]Record{res("a", "Một"), res("b", "Hai")}, "f1.jsonl")
	if err != nil || st != (PutStats{Added: 2}) {
		t.Fatalf("first put: %+v %v", st, err)
	}
	seq1, _ := s.Seq()
	// The same content again, from the same and from another file: nothing changes for the index.
	st, _ = s.Put([]Record{res("a", "Một"), res("b", "Hai")}, "f1.jsonl")
	if st != (PutStats{Unchanged: 2}) {
		t.Fatalf("re-put: %+v", st)
	}
	st, _ = s.Put([]Record{res("a", "Một")}, "f2.jsonl")
	if seq, _ := s.Seq(); st != (PutStats{Unchanged: 1}) || seq != seq1 {
		t.Fatalf("same content from another file: %+v seq %d→%d", st, seq1, seq)
	}
	e, _ := s.Get("a")
	if len(e.Sources) != 2 {
		t.Errorf("sources = %v, want both files", e.Sources)
	}
	// An update moves the record to the end of the change history.
	st, _ = s.Put([]Record{res("a", "Một (sửa)")}, "f1.jsonl")
	if st != (PutStats{Updated: 1}) {
		t.Fatalf("update: %+v", st)
	}
	ids, _ := changes(t, s, 0)
	if len(ids) != 2 || ids[0] != "b" || ids[1] != "a" {
		t.Errorf("changes from 0 = %v, want [b a]", ids)
	}
	ids, _ = changes(t, s, seq1)
	if len(ids) != 1 || ids[0] != "a" {
		t.Errorf("changes after %d = %v, want [a]", seq1, ids)
	}
}

func TestStoreDeleteLeavesTombstone(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Put([]Record{res("a", "Một"), res("b", "Hai")}, "")
	before, _ := s.Seq()
	if err := s.Delete([]string{"a", "zzz"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a missing id: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Get("a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted record still readable: %v", err)
	}
	ids, deleted := changes(t, s, before)
	if len(ids) != 0 || len(deleted) != 1 || deleted[0] != "a" {
		t.Errorf("changes after delete: live %v deleted %v", ids, deleted)
	}
	counts, _ := s.Counts()
	if counts[KindResult] != 1 {
		t.Errorf("counts = %v", counts)
	}
	// Re-adding a deleted id brings it back.
	if st, _ := s.Put([]Record{res("a", "Một")}, ""); st.Added != 1 {
		t.Errorf("re-add after delete: %+v", st)
	}
}

// TestStoreDeleted: Deleted tells a tombstone, with the original its last version was read from, from a
// live record (even one whose own fields are named "deleted" and "original") and an unknown id.
func TestStoreDeleted(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	odd := res("odd", "Bản ghi có trường lạ")
	odd.Extra = map[string]json.RawMessage{"deleted": json.RawMessage("true"), "original": json.RawMessage(`"x"`)}
	if _, err := s.PutFrom([]Record{res("gone", "Một"), res("live", "Hai"), odd}, "", "abc123"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete([]string{"gone"}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id, original string
		deleted      bool
	}{{"gone", "abc123", true}, {"live", "", false}, {"odd", "", false}, {"unknown", "", false}} {
		if orig, del, err := s.Deleted(tt.id); err != nil || del != tt.deleted || orig != tt.original {
			t.Errorf("Deleted(%s) = %q, %v, %v; want %q, %v", tt.id, orig, del, err, tt.original, tt.deleted)
		}
	}
}

func TestStoreLockedWhileOpen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want LockedError", err)
	}
	s.Close()
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("open after close: %v", err)
	}
	s2.Close()
}

func TestStoreSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	s.Put([]Record{&Need{ID: "n1", Kind: KindNeed, Title: "Cần máy sấy", Confidentiality: ConfBrokerOnly,
		Extra: map[string]json.RawMessage{"nguon": json.RawMessage(`"hội chợ"`)}}}, "x")
	s.Close()
	s, _ = Open(dir)
	defer s.Close()
	e, err := s.Get("n1")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.Decode()
	if err != nil {
		t.Fatal(err)
	}
	if n := rec.(*Need); n.Title != "Cần máy sấy" || n.EffectiveConfidentiality() != ConfBrokerOnly || string(n.Extra["nguon"]) != `"hội chợ"` {
		t.Errorf("decoded %+v", n)
	}
	if seeded, _ := s.Seeded(); !seeded {
		t.Error("a store with records must count as seeded")
	}
}

func TestOriginalsAreContentAddressed(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.PutOriginal(strings.NewReader("id,kind,title\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.PutOriginal(strings.NewReader("id,kind,title\n"))
	if a != b || len(a) != 64 {
		t.Fatalf("same content, hashes %s and %s", a, b)
	}
	f, err := s.OpenOriginal(a)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if string(got) != "id,kind,title\n" {
		t.Errorf("original read back as %q", got)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "originals"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	if _, err := s.OpenOriginal("../../etc/passwd"); err == nil {
		t.Error("a path accepted as a hash")
	}
}

// TestOriginalCutShortIsReplaced: an original left empty or partial under its name (a lazy copy renamed
// into place and lost to a power cut before the batch's sync) is written again by the next put of the
// same content, lazy or not, instead of being taken as already kept.
func TestOriginalCutShortIsReplaced(t *testing.T) {
	const content = "Báo cáo tổng kết đề tài: máy sấy cá cơm bằng bơm nhiệt.\n"
	for _, tt := range []struct {
		name string
		left string
		put  func(*Store, io.Reader) (string, error)
	}{
		{"empty, lazy put", "", (*Store).PutOriginalLazy},
		{"partial, durable put", content[:20], (*Store).PutOriginal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			sum := sha256.Sum256([]byte(content))
			path := s.OriginalPath(hex.EncodeToString(sum[:]))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.left), 0o644); err != nil {
				t.Fatal(err)
			}
			sha, err := tt.put(s, strings.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.SyncOriginals(); err != nil {
				t.Fatal(err)
			}
			f, err := s.OpenOriginal(sha)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if string(got) != content {
				t.Errorf("original reads %q, want %q", got, content)
			}
		})
	}
}
