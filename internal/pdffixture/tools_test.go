package pdffixture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
	"ketnoi/internal/tooltest"
)

// runTool runs a tool with a time limit and returns stdout, stderr and the error.
func runTool(t *testing.T, name string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// pdftotext returns the pages pdftotext finds (it ends each page with a form feed).
func pdftotext(t *testing.T, pdf []byte, args ...string) ([]string, string, error) {
	t.Helper()
	p := writeTemp(t, "f.pdf", pdf)
	out, stderr, err := runTool(t, "pdftotext", append(append([]string{"-enc", "UTF-8"}, args...), p, "-")...)
	return strings.Split(strings.TrimSuffix(out, "\f"), "\f"), stderr, err
}

// collapse joins the words of s with single spaces: line breaks and column gaps are layout.
func collapse(s string) string { return strings.Join(strings.Fields(norm.NFC.String(s)), " ") }

func comparePages(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if g, w := collapse(got[i]), collapse(want[i]); g != w {
			t.Errorf("page %d:\n got %q\nwant %q", i+1, g, w)
		}
	}
}

// legacyEncodings are the fixtures drawn in legacy fonts, which pdftotext reads as Windows-1252.
var legacyEncodings = map[string]vntext.Encoding{"tcvn3": vntext.TCVN3, "vni": vntext.VNI}

// popplerView is what pdftotext shows for legacy-font bytes under /WinAnsiEncoding: the Windows-1252
// characters, except that poppler's WinAnsi table calls byte AD "hyphen", so TCVN3's ư comes out "-".
func popplerView(t *testing.T, page string, enc vntext.Encoding) string {
	t.Helper()
	var sb strings.Builder
	for i, line := range strings.Split(page, "\n") {
		raw, err := EncodeLegacy(line, enc)
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			sb.WriteByte('\n')
		}
		for _, c := range raw {
			if c == 0xad {
				sb.WriteByte('-')
			} else {
				sb.WriteRune(charmap.Windows1252.DecodeByte(c))
			}
		}
	}
	return sb.String()
}

// Every fixture with text gives its golden text through pdftotext, the ladder's third rung; the legacy
// fonts give the Windows-1252 mojibake that vntext.DecodeFontString turns back into the golden text.
func TestPdftotextGolden(t *testing.T) {
	tooltest.Need(t, "pdftotext", "checking the fixtures' golden text")
	for _, f := range allFixtures(t) {
		if f.WantErr != "" || f.NeedsOCR {
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			got, stderr, err := pdftotext(t, f.PDF)
			if err != nil {
				t.Fatalf("pdftotext: %v: %s", err, stderr)
			}
			enc, legacy := legacyEncodings[f.Name]
			if !legacy {
				comparePages(t, got, f.Pages)
				return
			}
			want := make([]string, len(f.Pages))
			decoded := make([]string, len(got))
			for i, p := range f.Pages {
				want[i] = popplerView(t, p, enc)
			}
			comparePages(t, got, want)
			for i, p := range got {
				if enc == vntext.TCVN3 {
					p = strings.ReplaceAll(p, "-", "\u00ad") // undo poppler's hyphen for byte AD
				}
				decoded[i], _ = vntext.DecodeFontString(p, enc)
			}
			comparePages(t, decoded, f.Pages)
		})
	}
}

// The failing fixtures fail in pdftotext for the stated reason, and the encrypted one opens with its
// password, so it is the encryption, not a broken file, that stops a reader.
func TestPdftotextHostile(t *testing.T) {
	tooltest.Need(t, "pdftotext", "checking the hostile fixtures")
	fs := allFixtures(t)
	report := []string{joinLines(coverLines), joinLines(abstractLines)}

	user := byName(t, fs, "user-password")
	if _, stderr, err := pdftotext(t, user.PDF); err == nil || !strings.Contains(stderr, "password") {
		t.Errorf("user-password opened without a password: %v %s", err, stderr)
	}
	got, stderr, err := pdftotext(t, user.PDF, "-upw", user.Password)
	if err != nil {
		t.Fatalf("user-password with its password: %v %s", err, stderr)
	}
	comparePages(t, got, report)
	if got, _, err = pdftotext(t, user.PDF, "-opw", "chu-nhiem"); err != nil {
		t.Fatalf("user-password with the owner password: %v", err)
	}
	comparePages(t, got, report)

	if _, _, err := pdftotext(t, byName(t, fs, "not-a-pdf").PDF); err == nil {
		t.Error("pdftotext read not-a-pdf")
	}
	got, _, err = pdftotext(t, byName(t, fs, "empty-pages").PDF)
	if err != nil || len(got) != 2 || collapse(strings.Join(got, "")) != "" {
		t.Errorf("empty-pages: %q %v", got, err)
	}
	// The bomb is left out: pdftotext inflates all 4 GiB (about 20 s), in little memory.
}

// qpdf finds no error in the well-formed fixtures, and rebuilds broken-xref into a file that needs no
// further repair.
func TestQpdf(t *testing.T) {
	tooltest.Need(t, "qpdf", "checking the fixtures' structure")
	for _, f := range allFixtures(t) {
		clean := f.WantErr == "" || f.Name == "empty-pages"
		switch f.Name {
		case "broken-xref", "huge-xref-subsection", "prev-loop", "page-tree-cycle":
			clean = false
		}
		if !clean {
			continue
		}
		if out, stderr, err := runTool(t, "qpdf", "--check", writeTemp(t, f.Name+".pdf", f.PDF)); err != nil {
			t.Errorf("%s: qpdf --check: %v\n%s%s", f.Name, err, out, stderr)
		}
	}
	tooltest.Need(t, "pdftotext", "reading the repaired file")
	broken := byName(t, HostileFixtures(), "broken-xref")
	in := writeTemp(t, "in.pdf", broken.PDF)
	fixed := filepath.Join(filepath.Dir(in), "fixed.pdf")
	_, _, err := runTool(t, "qpdf", in, fixed)
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 3) { // 3: succeeded with warnings
		t.Fatalf("qpdf repair: %v", err)
	}
	data, err := os.ReadFile(fixed)
	if err != nil {
		t.Fatal(err)
	}
	got, stderr, err := pdftotext(t, data)
	if err != nil || stderr != "" {
		t.Errorf("repaired file: %v %s", err, stderr)
	}
	comparePages(t, got, broken.Pages)
}

func TestAES256(t *testing.T) {
	tooltest.Need(t, "qpdf", "making the AES-256 fixtures")
	tooltest.Need(t, "pdftotext", "reading them")
	NeedFont(t)
	fs, err := AES256Fixtures()
	if err != nil {
		t.Fatal(err)
	}
	user, owner := fs[0], fs[1]
	if _, _, err := pdftotext(t, user.PDF); err == nil {
		t.Error("AES-256 user-password file opened without a password")
	}
	got, _, err := pdftotext(t, user.PDF, "-upw", user.Password)
	if err != nil {
		t.Fatal(err)
	}
	comparePages(t, got, owner.Pages)
	if got, _, err = pdftotext(t, owner.PDF); err != nil {
		t.Fatal(err)
	}
	comparePages(t, got, owner.Pages)
}

// The scanned fixtures are readable by the ladder's last rung: pdftoppm at 300 dpi, then tesseract
// with the Vietnamese model, with a character error rate under 2%.
func TestScannedOCR(t *testing.T) {
	tooltest.Need(t, "pdftoppm", "rendering the scanned fixtures")
	tooltest.Need(t, "tesseract", "reading the scanned fixtures")
	if langs, _, _ := runTool(t, "tesseract", "--list-langs"); !strings.Contains(langs, "\nvie") {
		if tooltest.Required() {
			t.Fatal("tesseract has no vie model (Debian package tesseract-ocr-vie)")
		}
		t.Skip("tesseract has no vie model")
	}
	NeedFont(t)
	for _, f := range OCRFixtures() {
		t.Run(f.Name, func(t *testing.T) {
			in := writeTemp(t, "scan.pdf", f.PDF)
			prefix := filepath.Join(filepath.Dir(in), "page")
			if _, stderr, err := runTool(t, "pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", in, prefix); err != nil {
				t.Fatalf("pdftoppm: %v %s", err, stderr)
			}
			got, stderr, err := runTool(t, "tesseract", prefix+".png", "-", "-l", "vie")
			if err != nil {
				t.Fatalf("tesseract: %v %s", err, stderr)
			}
			if cer := CER(got, f.Pages[0]); cer >= 0.02 {
				t.Errorf("CER %.3f ≥ 2%%:\n got %q\nwant %q", cer, collapse(got), collapse(f.Pages[0]))
			}
		})
	}
}
