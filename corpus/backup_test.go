package corpus

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// backupFixture is a store with records, originals (one purged, one missing), a tombstone and an API key.
type backupFixture struct {
	st   *Store
	key  string
	shas []string
}

func newBackupFixture(t *testing.T) *backupFixture {
	t.Helper()
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &backupFixture{st: st}
	for i := range 3 {
		sha, err := st.PutOriginal(strings.NewReader(fmt.Sprintf("tệp gốc số %d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.shas = append(f.shas, sha)
		if _, err := st.PutFrom([]Record{res(fmt.Sprintf("g%d", i), fmt.Sprintf("Từ tệp %d", i))}, "tep.txt", sha); err != nil {
			t.Fatal(err)
		}
	}
	var recs []Record
	for i := range 50 {
		recs = append(recs, res(fmt.Sprintf("kq-%02d", i), fmt.Sprintf("Kết quả nghiên cứu %d", i)))
	}
	if _, err := st.Put(recs, "mau.jsonl"); err != nil {
		t.Fatal(err)
	}
	// A deleted record whose original was purged, and a live one whose original went missing (damage).
	if err := st.Delete([]string{"g0", "kq-07"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PurgeOriginals([]string{f.shas[0]}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(st.OriginalPath(f.shas[2])); err != nil {
		t.Fatal(err)
	}
	if f.key, _, err = OpenKeyring(dir).Create("Quản trị", RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenUsers(dir).Add("lan", RoleStaff, "mật khẩu sao lưu"); err != nil {
		t.Fatal(err)
	}
	return f
}

func backupBytes(t *testing.T, st *Store) ([]byte, *Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := st.Backup(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), m
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	f := newBackupFixture(t)
	arch, m := backupBytes(t, f.st)
	if m.Total() != 51 || m.Tombstones != 2 || m.Originals != 1 || len(m.MissingOriginals) != 1 || m.MissingOriginals[0] != f.shas[2] {
		t.Errorf("manifest: %d records, %d tombstones, %d originals, missing %v", m.Total(), m.Tombstones, m.Originals, m.MissingOriginals)
	}
	if _, err := VerifyBackup(bytes.NewReader(arch)); err != nil {
		t.Fatalf("verify: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "moi", "data") // not there yet: Restore makes it
	rm, err := Restore(bytes.NewReader(arch), dir)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if rm.Seq != m.Seq {
		t.Errorf("restored manifest seq %d, want %d", rm.Seq, m.Seq)
	}
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "keys.json originals store.db users.json" {
		t.Errorf("restored directory holds %v", names)
	}
	if _, ok := OpenUsers(dir).Verify("lan", "mật khẩu sao lưu"); !ok {
		t.Error("restored users.json does not sign the user in")
	}
	if fi, err := os.Stat(filepath.Join(dir, "users.json")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored users.json: %v", err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	seqA, _ := f.st.Seq()
	seqB, _ := r.Seq()
	if seqA != seqB {
		t.Errorf("seq %d, want %d", seqB, seqA)
	}
	err = f.st.Each(func(e *Entry) error {
		got, err := r.Get(e.ID)
		if err != nil {
			return fmt.Errorf("%s: %w", e.ID, err)
		}
		if !bytes.Equal(got.Record, e.Record) || got.Seq != e.Seq || got.Original != e.Original {
			return fmt.Errorf("%s differs after restore", e.ID)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	if _, err := r.Get("kq-07"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted record after restore: %v", err)
	}
	if b, err := os.ReadFile(r.OriginalPath(f.shas[1])); err != nil || string(b) != "tệp gốc số 1" {
		t.Errorf("original after restore: %q %v", b, err)
	}
	if k, ok := OpenKeyring(dir).Authenticate(f.key); !ok || k.Role != RoleAdmin {
		t.Errorf("API key not restored: %+v %v", k, ok)
	}
}

// member is one archive entry, for building tampered archives.
type member struct {
	hdr  tar.Header
	data []byte
}

func readMembers(t *testing.T, arch []byte) []member {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(arch))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out []member
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, member{*h, b})
	}
}

func writeMembers(ms []member) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, m := range ms {
		h := m.hdr
		h.Size = int64(len(m.data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(&h)
		tw.Write(m.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

// reManifest recomputes the manifest's hashes, as a careful forger would.
func reManifest(t *testing.T, ms []member) []member {
	var man Manifest
	last := &ms[len(ms)-1]
	if err := json.Unmarshal(last.data, &man); err != nil {
		t.Fatal(err)
	}
	man.Members = nil
	for _, m := range ms[:len(ms)-1] {
		sum := sha256.Sum256(m.data)
		man.Members = append(man.Members, Member{Name: m.hdr.Name, Size: int64(len(m.data)), SHA256: hex.EncodeToString(sum[:])})
	}
	last.data, _ = json.Marshal(man)
	return ms
}

func TestRestoreRefusesBadArchives(t *testing.T) {
	f := newBackupFixture(t)
	arch, _ := backupBytes(t, f.st)
	orig := "originals/" + f.shas[1][:2] + "/" + f.shas[1]
	edit := func(fn func([]member) []member) []byte {
		return writeMembers(fn(readMembers(t, arch)))
	}
	find := func(ms []member, name string) int {
		for i, m := range ms {
			if m.hdr.Name == name {
				return i
			}
		}
		t.Fatalf("no member %s", name)
		return -1
	}
	insert := func(ms []member, m member) []member { // before the manifest
		return append(ms[:len(ms)-1:len(ms)-1], m, ms[len(ms)-1])
	}
	reg := func(name, data string) member {
		return member{tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644}, []byte(data)}
	}
	flipped := bytes.Clone(arch)
	flipped[len(flipped)/2] ^= 0x40
	tests := []struct {
		name string
		arch []byte
		want string
	}{
		{"byte changed in the compressed stream", flipped, "hỏng"},
		{"truncated", arch[:len(arch)*2/3], "cắt cụt"},
		{"not gzip", []byte("xin chào"), "gzip"},
		{"store changed", edit(func(ms []member) []member {
			i := find(ms, "store.db")
			ms[i].data = bytes.Clone(ms[i].data)
			ms[i].data[4096+100] ^= 1
			return ms
		}), "không khớp bản kê"},
		{"original changed, manifest recomputed", edit(func(ms []member) []member {
			ms[find(ms, orig)].data = []byte("nội dung khác")
			return reManifest(t, ms)
		}), "không khớp tên"},
		{"keys.json replaced", edit(func(ms []member) []member {
			ms[find(ms, "keys.json")].data = []byte(`{"version":1,"keys":[]}`)
			return ms
		}), "không khớp bản kê"},
		{"path traversal", edit(func(ms []member) []member {
			return reManifest(t, insert(ms, reg("../../thoat-ra.txt", "x")))
		}), "không thuộc bố cục"},
		{"traversal inside originals", edit(func(ms []member) []member {
			return reManifest(t, insert(ms, reg("originals/../../thoat-ra.txt", "x")))
		}), "không thuộc bố cục"},
		{"absolute path", edit(func(ms []member) []member {
			return reManifest(t, insert(ms, reg("/etc/cron.d/thoat-ra", "x")))
		}), "không thuộc bố cục"},
		{"symlink", edit(func(ms []member) []member {
			i := find(ms, orig)
			ms[i].hdr.Typeflag, ms[i].hdr.Linkname = tar.TypeSymlink, "/etc/passwd"
			return ms
		}), "không phải tệp thường"},
		{"member after the manifest", edit(func(ms []member) []member {
			return append(ms, reg("keys.json", "{}"))
		}), "sau bản kê"},
		{"manifest missing", edit(func(ms []member) []member { return ms[:len(ms)-1] }), "thiếu bản kê"},
		{"member dropped", edit(func(ms []member) []member {
			i := find(ms, orig)
			return append(ms[:i:i], ms[i+1:]...)
		}), "thiếu mục"},
		{"original dropped, manifest recomputed", edit(func(ms []member) []member {
			i := find(ms, orig)
			return reManifest(t, append(ms[:i:i], ms[i+1:]...))
		}), "thiếu tệp gốc"},
		{"duplicate member", edit(func(ms []member) []member {
			return insert(ms, ms[find(ms, "keys.json")])
		}), "hai lần"},
		{"newer format", edit(func(ms []member) []member {
			last := &ms[len(ms)-1]
			last.data = bytes.Replace(last.data, []byte(`"format": 1`), []byte(`"format": 9`), 1)
			return ms
		}), "phiên bản 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "a", "data")
			_, err := Restore(bytes.NewReader(tt.arch), dir)
			if !errors.Is(err, ErrBadBackup) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrBadBackup mentioning %q", err, tt.want)
			}
			// Nothing of the refused archive stays behind, inside or outside the target.
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("target left behind: %v", err)
			}
			for _, p := range []string{filepath.Join(parent, "thoat-ra.txt"), filepath.Join(parent, "a", "thoat-ra.txt")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("archive wrote outside the target: %s", p)
				}
			}
			if _, err := VerifyBackup(bytes.NewReader(tt.arch)); !errors.Is(err, ErrBadBackup) {
				t.Errorf("VerifyBackup accepted it: %v", err)
			}
		})
	}
}

func TestRestoreRefusesNonEmptyDir(t *testing.T) {
	f := newBackupFixture(t)
	arch, _ := backupBytes(t, f.st)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ghi-chu.txt"), []byte("đừng ghi đè"), 0o644)
	if _, err := Restore(bytes.NewReader(arch), dir); err == nil || !strings.Contains(err.Error(), "không trống") {
		t.Fatalf("restore into a non-empty dir: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "ghi-chu.txt")); string(b) != "đừng ghi đè" {
		t.Error("existing file touched")
	}
	// An empty directory that exists is fine, and is kept when a later archive is refused.
	empty := t.TempDir()
	if _, err := Restore(bytes.NewReader(arch[:100]), empty); err == nil {
		t.Fatal("truncated archive accepted")
	}
	if ents, err := os.ReadDir(empty); err != nil || len(ents) != 0 {
		t.Errorf("after a refused restore: %v %v", ents, err)
	}
}

// TestBackupWhileWriting: a backup taken while records are being written is one consistent snapshot
// (Restore checks the snapshot against its manifest: sequence number and counts agree).
func TestBackupWhileWriting(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
			sha, _ := st.PutOriginal(strings.NewReader(fmt.Sprint("tệp ", i)))
			st.PutFrom([]Record{res(fmt.Sprint("w", i), fmt.Sprint("Bản ghi ", i))}, "ghi.txt", sha)
		}
	}()
	for range 5 {
		arch, m := backupBytes(t, st)
		dir := filepath.Join(t.TempDir(), "d")
		if _, err := Restore(bytes.NewReader(arch), dir); err != nil {
			t.Fatalf("restore of a backup taken while writing: %v", err)
		}
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		r.Each(func(*Entry) error { n++; return nil })
		r.Close()
		if n != m.Total() || m.Originals != n {
			t.Errorf("restored %d records, manifest %d records and %d originals", n, m.Total(), m.Originals)
		}
	}
	close(stop)
	wg.Wait()
}
