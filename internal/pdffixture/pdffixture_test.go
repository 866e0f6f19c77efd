package pdffixture

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
)

// allFixtures builds every fixture, skipping the test when the font is missing.
func allFixtures(t *testing.T) []Fixture {
	t.Helper()
	NeedFont(t)
	var all []Fixture
	for _, build := range []func() ([]Fixture, error){BuildTextFixtures, BuildHostileFixtures, BuildOCRFixtures} {
		fs, err := build()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, fs...)
	}
	return all
}

var safeName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func TestFixturesBuild(t *testing.T) {
	all := allFixtures(t)
	if len(all) < 25 {
		t.Fatalf("only %d fixtures", len(all))
	}
	seen := map[string]bool{}
	for _, f := range all {
		if !safeName.MatchString(f.Name) || seen[f.Name] {
			t.Errorf("name %q: not file-name safe or not unique", f.Name)
		}
		seen[f.Name] = true
		if f.About == "" || strings.Contains(f.About, "\n") {
			t.Errorf("%s: About must be one line", f.Name)
		}
		if len(f.PDF) == 0 || len(f.PDF) > 10<<20 {
			t.Errorf("%s: %d bytes", f.Name, len(f.PDF))
		}
		if (f.WantErr == "") == (f.Pages == nil) {
			t.Errorf("%s: want exactly one of Pages and WantErr", f.Name)
		}
		switch f.WantErr {
		case "", "encrypted", "malformed", "unsupported", "too_large", "timeout", "no_text":
		default:
			t.Errorf("%s: unknown reason %q", f.Name, f.WantErr)
		}
		for i, p := range f.Pages {
			if p != norm.NFC.String(p) || strings.TrimSpace(p) == "" {
				t.Errorf("%s page %d: golden text empty or not NFC", f.Name, i+1)
			}
		}
		if f.Name != "not-a-pdf" && f.Name != "bytes-before-header" && !bytes.HasPrefix(f.PDF, []byte("%PDF-")) {
			t.Errorf("%s: no %%PDF- header", f.Name)
		}
		if f.Name != "not-a-pdf" && f.Name != "trailing-junk" && !bytes.HasSuffix(f.PDF, []byte("%%EOF\n")) {
			t.Errorf("%s: does not end with %%%%EOF", f.Name)
		}
	}
	for _, n := range []string{"clean", "two-columns", "wide-tounicode", "uni-names", "no-space-glyphs", "font-switch",
		"same-resource-name", "tstar", "tcvn3", "vni", "invisible-text", "form-xobject", "scanned-jpeg", "scanned-flate",
		"bytes-before-header", "pdf20-header", "trailing-junk", "broken-xref", "owner-password-only", "user-password",
		"huge-xref-subsection", "page-tree-cycle", "prev-loop", "decompression-bomb", "not-a-pdf", "empty-pages"} {
		if !seen[n] {
			t.Errorf("fixture %s missing", n)
		}
	}
}

// Fixtures are deterministic, so files written from them never change without a reason.
func TestFixturesDeterministic(t *testing.T) {
	NeedFont(t)
	a, b := TextFixtures(), TextFixtures()
	a, b = append(a, HostileFixtures()...), append(b, HostileFixtures()...)
	for i := range a {
		if !bytes.Equal(a[i].PDF, b[i].PDF) {
			t.Errorf("%s differs between two builds", a[i].Name)
		}
	}
}

// The embedded font is a real one: every glyph the fixtures draw is in it, and /W and the font file
// are there for readers and renderers.
func TestCleanStructure(t *testing.T) {
	NeedFont(t)
	clean := byName(t, TextFixtures(), "clean")
	for _, want := range []string{"/Subtype /Type0", "/Encoding /Identity-H", "/Subtype /CIDFontType2",
		"/CIDToGIDMap /Identity", "/FontFile2", "/ToUnicode", "/W ["} {
		if !bytes.Contains(clean.PDF, []byte(want)) {
			t.Errorf("clean: no %s", want)
		}
	}
}

func byName(t *testing.T, fs []Fixture, name string) Fixture {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no fixture %q", name)
	return Fixture{}
}

func TestLegacyEncoderRoundTrip(t *testing.T) {
	lines := append(append(append([]string{}, coverLines...), abstractLines...), legacyLines...)
	for _, enc := range []vntext.Encoding{vntext.TCVN3, vntext.VNI, vntext.VISCII, vntext.CP1258} {
		for _, s := range lines {
			raw, err := EncodeLegacy(s, enc)
			if err != nil && (enc == vntext.TCVN3 || enc == vntext.VISCII) {
				continue // TCVN3 has no capital toned letters, VISCII no dash: legacyLines avoid both
			}
			if err != nil {
				t.Fatalf("%s: %q: %v", enc, s, err)
			}
			if got, lost, _ := vntext.Decode(raw, enc); got != s || lost != 0 {
				t.Errorf("%s: %q → %q (lost %d)", enc, s, got, lost)
			}
		}
	}
	for _, s := range legacyLines {
		for _, enc := range []vntext.Encoding{vntext.TCVN3, vntext.VISCII} {
			if _, err := EncodeLegacy(s, enc); err != nil {
				t.Errorf("legacy line %q not in %s: %v", s, enc, err)
			}
		}
	}
	// VNI fonts draw the small letters' mark bytes after small letters, the capitals' after capitals.
	for s, want := range map[string]string{"người": "ng\xf6\xf4\xf8i", "Nghiên": "Nghie\xe2n", "ĐẠI": "\xd1A\xcfI"} {
		if got, _ := EncodeLegacy(s, vntext.VNI); string(got) != want {
			t.Errorf("VNI %q = %q, want %q", s, got, want)
		}
	}
	if _, err := EncodeLegacy("Ứng", vntext.TCVN3); err == nil {
		t.Error("TCVN3 has no capital toned letters, yet Ứ was encoded")
	}
}

func TestZlibBombSmall(t *testing.T) {
	for _, n := range []int64{1, 2, 258, 259, 260, 1000, 1<<20 + 7} {
		r, err := zlib.NewReader(bytes.NewReader(ZlibBomb(n)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r) // checks the Adler-32 too
		if err != nil || int64(len(got)) != n || bytes.ContainsFunc(got, func(r rune) bool { return r != 0 }) {
			t.Errorf("ZlibBomb(%d): %d bytes, err %v", n, len(got), err)
		}
	}
}

func TestDecompressionBomb(t *testing.T) {
	bomb, err := decompressionBomb(nil) // needs no font
	if err != nil {
		t.Fatal(err)
	}
	if len(bomb.PDF) > 10<<20 {
		t.Fatalf("bomb PDF is %d bytes", len(bomb.PDF))
	}
	i := bytes.Index(bomb.PDF, []byte("stream\n"))
	j := bytes.LastIndex(bomb.PDF, []byte("\nendstream"))
	r, err := zlib.NewReader(bytes.NewReader(bomb.PDF[i+len("stream\n") : j]))
	if err != nil {
		t.Fatal(err)
	}
	limit := int64(BombSize)
	if testing.Short() {
		limit = 256 << 20 // the full 4 GiB takes a few seconds to inflate
	}
	n, err := io.Copy(io.Discard, io.LimitReader(r, limit))
	if err != nil || n != limit {
		t.Fatalf("inflated %d bytes, want %d: %v", n, limit, err)
	}
	if !testing.Short() {
		if extra, err := io.Copy(io.Discard, r); err != nil || extra != 0 {
			t.Fatalf("after %d bytes: %d more, %v", n, extra, err)
		}
	}
}

func TestScannedErrors(t *testing.T) {
	NeedFont(t)
	if _, err := Scanned(ScanLines, 5, false); err == nil {
		t.Error("dpi 5 accepted")
	}
	img, err := RenderLines(ScanLines, 300)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 2480 || h != 3508 {
		t.Errorf("A4 at 300 dpi is %dx%d", w, h)
	}
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	fs := []Fixture{{Name: "a", PDF: []byte("%PDF-1.7"), Pages: []string{"one", "two"}},
		{Name: "b", PDF: []byte("x"), WantErr: "malformed"}}
	if err := WriteAll(dir, fs); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a.txt")); string(b) != "one\ftwo" {
		t.Errorf("a.txt = %q", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "b.txt")); string(b) != "error: malformed\n" {
		t.Errorf("b.txt = %q", b)
	}
	if err := WriteAll(dir, []Fixture{{Name: "../x"}}); err == nil {
		t.Error("unsafe name accepted")
	}
}

func TestCER(t *testing.T) {
	for _, c := range []struct {
		got, want string
		cer       float64
	}{
		{"Nghiên cứu", "Nghiên  cứu\n", 0},
		{"Nghien cuu", "Nghiên cứu", 0.2},
		{"", "abcd", 1},
		{"", "", 0},
		{"abxd", "abcd", 0.25},
	} {
		if got := CER(c.got, c.want); got != c.cer {
			t.Errorf("CER(%q, %q) = %v, want %v", c.got, c.want, got, c.cer)
		}
	}
}
