package pdffixture

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// HostileFixtures returns the structural, encryption and hostile cases, built fresh; nil when DejaVu
// Sans is missing (call NeedFont first). About says what a careful extractor does with each: text when
// the content is intact and a reader can get at it without a password, else the typed reason.
func HostileFixtures() []Fixture { return must(BuildHostileFixtures()) }

// BuildHostileFixtures is HostileFixtures with the error.
func BuildHostileFixtures() ([]Fixture, error) {
	return build([]func(*TTF) (Fixture, error){
		bytesBeforeHeader, pdf20Header, trailingJunk, brokenXref,
		ownerPasswordOnly, userPassword,
		hugeXrefSubsection, pageTreeCycle, prevLoop, decompressionBomb, notAPDF, emptyPages,
	})
}

// reportDoc lays out the cover and abstract pages in a Type0 font; the caller writes the file.
func reportDoc(name string, t *TTF) (*Builder, Ref, []string) {
	b := NewBuilder(name)
	f := b.Type0(t)
	root := b.Document([]Page{textPage(f, coverLines), textPage(f, abstractLines)})
	return b, root, []string{joinLines(coverLines), joinLines(abstractLines)}
}

func written(name, about string, t *TTF, o WriteOptions) (Fixture, error) {
	b, root, golden := reportDoc(name, t)
	pdf, err := b.Write(root, 0, o)
	return Fixture{Name: name, About: about, PDF: pdf, Pages: golden}, err
}

func bytesBeforeHeader(t *TTF) (Fixture, error) {
	// What a mail or web download can leave: headers before the file. Offsets count from %PDF-, as
	// readers (Acrobat, poppler) assume, so they are all off by the junk's length from the file start.
	junk := []byte("Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"bao-cao.pdf\"\r\n\r\n")
	return written("bytes-before-header", "junk before %PDF- (HTTP headers), xref offsets relative to the header; text must come out",
		t, WriteOptions{Prefix: junk})
}

func pdf20Header(t *TTF) (Fixture, error) {
	b, root, golden := reportDoc("pdf20-header", t)
	b.Header = "%PDF-2.0"
	pdf, err := b.Bytes(root, 0)
	return Fixture{Name: "pdf20-header", About: "a %PDF-2.0 header on an otherwise 1.7 file; text must come out",
		PDF: pdf, Pages: golden}, err
}

func trailingJunk(t *TTF) (Fixture, error) {
	junk := append([]byte("\r\n<html><body>404 Not Found</body></html>\r\n"), make([]byte, 300)...)
	return written("trailing-junk", "bytes after %%EOF (an HTML error page, then NULs); text must come out",
		t, WriteOptions{Suffix: junk})
}

func brokenXref(t *TTF) (Fixture, error) {
	return written("broken-xref", "every xref offset 7 bytes off (as after a careless edit); rebuildable (qpdf, pdftotext): text must come out",
		t, WriteOptions{OffsetDelta: 7})
}

// ownerPasswordOnly is how "protected" reports are published: anyone can open them, the owner password
// only restricts (here: no changes, no copying). The permissions bind editors, not an indexer.
func ownerPasswordOnly(t *TTF) (Fixture, error) {
	b, root, golden := reportDoc("owner-password-only", t)
	b.EncryptRC4("", "chu-nhiem", PermAll&^(PermModify|PermCopy))
	pdf, err := b.Bytes(root, b.Info(coverLines[1], "Acrobat Distiller 9.0"))
	return Fixture{Name: "owner-password-only", About: "RC4 128-bit (R3), empty user password, owner password, copying not allowed; opens without a password: text must come out",
		PDF: pdf, Pages: golden}, err
}

func userPassword(t *TTF) (Fixture, error) {
	b, root, _ := reportDoc("user-password", t)
	b.EncryptRC4("nckh2024", "chu-nhiem", PermAll)
	pdf, err := b.Bytes(root, b.Info(coverLines[1], "Acrobat Distiller 9.0"))
	return Fixture{Name: "user-password", About: "RC4 128-bit (R3) with a user password (Password field); nothing readable without it: encrypted",
		PDF: pdf, WantErr: "encrypted", Password: "nckh2024"}, err
}

// hugeXrefSubsection claims 2^31-1 entries in its only xref subsection, though it has a few. A reader
// that sizes a table from the claim runs out of memory; the objects themselves are intact, so a
// reader that rebuilds the xref by scanning (poppler, qpdf) gets the text.
func hugeXrefSubsection(t *TTF) (Fixture, error) {
	b, root, golden := reportDoc("huge-xref-subsection", t)
	l, err := b.body()
	if err != nil {
		return Fixture{Name: "huge-xref-subsection"}, err
	}
	xref := l.buf.Len()
	var tab bytes.Buffer
	xrefTable(&tab, l.offsets, 0)
	// Replace the subsection header "0 N" with the lie.
	lie := bytes.Replace(tab.Bytes(), []byte(fmt.Sprintf("xref\n0 %d\n", len(l.offsets))), []byte("xref\n0 2147483647\n"), 1)
	l.buf.Write(lie)
	fmt.Fprintf(&l.buf, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", b.trailerDict(len(l.offsets), root, 0, ""), xref)
	return Fixture{Name: "huge-xref-subsection", About: "xref subsection header claims 2147483647 entries; must not allocate for them; objects intact, xref rebuildable: text must come out",
		PDF: l.buf.Bytes(), Pages: golden}, nil
}

// pageTreeCycle has a page tree node whose kid is the root node again. Walking it naively never ends;
// a reader that remembers the nodes it has seen finds the one real page.
func pageTreeCycle(t *TTF) (Fixture, error) {
	b := NewBuilder("page-tree-cycle")
	f := b.Type0(t)
	top, sub := b.Alloc(), b.Alloc()
	p := textPage(f, coverLines)
	content := b.AddFlate("", p.Content)
	page := b.Add(fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %s %s] /Resources %s /Contents %s >>",
		top, num(A4[0]), num(A4[1]), resources(p.Fonts, nil), content))
	b.Set(top, fmt.Sprintf("<< /Type /Pages /Kids [%s %s] /Count 2 >>", page, sub))
	b.Set(sub, fmt.Sprintf("<< /Type /Pages /Parent %s /Kids [%s] /Count 1 >>", top, top))
	root := b.Add(fmt.Sprintf("<< /Type /Catalog /Pages %s >>", top))
	pdf, err := b.Bytes(root, 0)
	return Fixture{Name: "page-tree-cycle", About: "a Pages node lists the root Pages node as its kid (a cycle); must terminate; the one real page gives text",
		PDF: pdf, Pages: []string{joinLines(coverLines)}}, err
}

// prevLoop has two xref sections whose /Prev entries point at each other. Both are correct tables, so a
// reader that stops at an offset it has seen reads the file normally.
func prevLoop(t *TTF) (Fixture, error) {
	b, root, golden := reportDoc("prev-loop", t)
	l, err := b.body()
	if err != nil {
		return Fixture{Name: "prev-loop"}, err
	}
	x1 := l.buf.Len()
	var sec1 bytes.Buffer
	xrefTable(&sec1, l.offsets, 0)
	// The second section's offset is known once the first is written; /Prev is fixed-width for that.
	trailer1 := func(prev int) string {
		return fmt.Sprintf("trailer\n%s\n", b.trailerDict(len(l.offsets), root, 0, fmt.Sprintf("/Prev %010d", prev)))
	}
	x2 := x1 + sec1.Len() + len(trailer1(0))
	l.buf.Write(sec1.Bytes())
	l.buf.WriteString(trailer1(x2))
	// An incremental update that changes nothing, pointing back to the first section.
	fmt.Fprintf(&l.buf, "xref\n0 1\n0000000000 65535 f\r\ntrailer\n%s\nstartxref\n%d\n%%%%EOF\n",
		b.trailerDict(len(l.offsets), root, 0, fmt.Sprintf("/Prev %d", x1)), x2)
	return Fixture{Name: "prev-loop", About: "two xref sections whose /Prev point at each other (a cycle); must terminate; tables are right: text must come out",
		PDF: l.buf.Bytes(), Pages: golden}, nil
}

// BombSize is what the decompression bomb's content stream inflates to: 4 GiB of zero bytes, from a
// file of about 4 MB.
const BombSize = 4 << 30

func decompressionBomb(*TTF) (Fixture, error) {
	b := NewBuilder("decompression-bomb")
	content := b.AddStream("<< /Filter /FlateDecode >>", ZlibBomb(BombSize))
	tree := b.Alloc()
	page := b.Add(fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %s %s] /Resources << >> /Contents %s >>",
		tree, num(A4[0]), num(A4[1]), content))
	b.Set(tree, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count 1 >>", page))
	pdf, err := b.Bytes(b.Add(fmt.Sprintf("<< /Type /Catalog /Pages %s >>", tree)), 0)
	return Fixture{Name: "decompression-bomb", About: "a ~4 MB Flate content stream inflating to 4 GiB of zeros; must stop at a size limit: too_large",
		PDF: pdf, WantErr: "too_large"}, err
}

func notAPDF(*TTF) (Fixture, error) {
	r := rand.New(rand.NewChaCha8([32]byte{'k', 'e', 't', 'n', 'o', 'i'}))
	data := make([]byte, 64<<10)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return Fixture{Name: "not-a-pdf", About: "64 KiB of random bytes named .pdf: no header, nothing to rebuild: malformed",
		PDF: data, WantErr: "malformed"}, nil
}

func emptyPages(*TTF) (Fixture, error) {
	b := NewBuilder("empty-pages")
	var rule Content
	rule.Op("q 0.5 w %s %s m %s %s l S Q", num(marginLeft), num(baseline(0, bodySize)), num(A4[0]-marginLeft), num(baseline(0, bodySize)))
	pdf, err := b.Bytes(b.Document([]Page{{Content: rule.Bytes()}, {Content: nil}}), 0)
	return Fixture{Name: "empty-pages", About: "a valid two-page PDF with a drawn rule and an empty page, no text, no image: no_text (OCR has nothing to read)",
		PDF: pdf, WantErr: "no_text"}, err
}

// AES256Fixtures encrypts the clean fixture with AES-256 (revision 6) through qpdf: once with a user
// password (WantErr "encrypted") and once with an owner password only (text). It fails wrapping
// ErrNoQpdf when qpdf is not installed, and ErrNoFont when the font is missing.
func AES256Fixtures() ([]Fixture, error) {
	t, err := LoadFont()
	if err != nil {
		return nil, err
	}
	plain, err := clean(t)
	if err != nil {
		return nil, err
	}
	user, err := EncryptAES256(plain.PDF, "nckh2024", "chu-nhiem")
	if err != nil {
		return nil, err
	}
	owner, err := EncryptAES256(plain.PDF, "", "chu-nhiem")
	if err != nil {
		return nil, err
	}
	return []Fixture{
		{Name: "aes256-user-password", About: "AES-256 (R6) with a user password (Password field): encrypted",
			PDF: user, WantErr: "encrypted", Password: "nckh2024"},
		{Name: "aes256-owner-only", About: "AES-256 (R6), empty user password, owner password: opens without a password: text must come out",
			PDF: owner, Pages: plain.Pages},
	}, nil
}
