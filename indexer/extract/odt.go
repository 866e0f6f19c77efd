package extract

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// ExtractODT reads an OpenDocument text (LibreOffice .odt): the paragraphs and headings of content.xml
// as lines (lists, tables cell by cell, text boxes, footnotes at the end), as one page. Spans and
// paragraphs whose style uses a legacy Vietnamese font (.VnTime, VNI-Times...) are converted to Unicode,
// other mojibake paragraphs are repaired statistically. Metadata comes from meta.xml. A document saved
// with a password is ReasonEncrypted.
func ExtractODT(ra io.ReaderAt, size int64, lim Limits) (*Document, error) {
	a, err := docxOpenArchive(ra, size, lim)
	if err != nil {
		return nil, err
	}
	if !a.has("content.xml") {
		return nil, Errorf(ReasonUnsupported, "tệp nén không chứa văn bản OpenDocument (thiếu content.xml)")
	}
	if odtEncrypted(a) {
		return nil, Errorf(ReasonEncrypted, "tài liệu OpenDocument được đặt mật khẩu: hãy mở bằng mật khẩu, "+
			"bỏ mật khẩu rồi lưu lại")
	}
	w := &odtWalker{st: odtStyles{faces: map[string]string{}, byName: map[string]*odtStyle{}}}
	if a.has("styles.xml") {
		if err := w.walkPart(a, "styles.xml", 8*docxMaxPropsBytes); err != nil && errors.Is(err, errDocxBudget) {
			return nil, docxError(err, "styles.xml")
		}
	}
	if err := w.walkPart(a, "content.xml", 0); err != nil {
		return nil, docxError(err, "content.xml")
	}
	doc := &Document{Format: FormatODT}
	if err := w.conv.finish(doc, append(w.paras, w.notes...)); err != nil {
		return nil, err
	}
	if p, err := docxReadProps(a, "meta.xml"); err == nil {
		author := p["initial-creator"]
		if author == "" {
			author = p["creator"]
		}
		doc.Metadata = coverDocMetadata(p["title"], author, p["subject"], p["keyword"], "properties")
	} else if !errors.Is(err, fs.ErrNotExist) {
		doc.Warn(WarnMetadata, 0, "không đọc được thuộc tính tài liệu (meta.xml)")
	}
	return doc, nil
}

// odtEncrypted reports a manifest that lists encryption data for some part.
func odtEncrypted(a *docxArchive) bool {
	rc, err := a.open("META-INF/manifest.xml", docxMaxPropsBytes)
	if err != nil {
		return false
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	for {
		tok, err := d.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "encryption-data" {
			return true
		}
	}
}

// odtStyle is a named style's font (a font-face name or a direct font family) and parent.
type odtStyle struct {
	parent, face, family string
}

// odtStyles holds the font faces and the paragraph and text styles of styles.xml and content.xml.
type odtStyles struct {
	faces     map[string]string    // font-face name → font family
	byName    map[string]*odtStyle // "family/name"
	defStyles map[string]*odtStyle // default-style by family
}

// font resolves the font of a style of a family through its parents, then the family's default.
func (s *odtStyles) font(family, name string) string {
	for depth := 0; name != "" && depth < 32; depth++ {
		st := s.byName[family+"/"+name]
		if st == nil {
			break
		}
		if f := s.styleFont(st); f != "" {
			return f
		}
		name = st.parent
	}
	if st := s.defStyles[family]; st != nil {
		return s.styleFont(st)
	}
	return ""
}

func (s *odtStyles) styleFont(st *odtStyle) string {
	if st.face != "" {
		if f, ok := s.faces[st.face]; ok {
			return f
		}
		return st.face
	}
	return st.family
}

// odtUnquote strips the quotes ODF puts around font family names ("'.VnTime'").
func odtUnquote(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ','); i > 0 && !strings.HasPrefix(s, "'") && !strings.HasPrefix(s, `"`) {
		s = s[:i] // a list of families: the first is used
	}
	return strings.Trim(s, `'" `)
}

// odtPara is a paragraph being read: the font of each open span (the paragraph's first) and its text.
type odtPara struct {
	fonts []string
	segs  []textSeg
	note  bool
}

// odtWalker streams styles.xml and content.xml.
type odtWalker struct {
	st        odtStyles
	conv      textConverter
	stack     []*odtPara
	paras     []textPara
	notes     []textPara
	cur       *odtStyle // the style whose properties are being read
	inBody    bool
	noteDepth int
}

func (w *odtWalker) walkPart(a *docxArchive, part string, partCap int64) error {
	rc, err := a.open(part, partCap)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	skip := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			for len(w.stack) > 0 {
				w.endPara()
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			if w.skipElement(t) {
				skip = 1
				continue
			}
			w.start(t)
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			w.end(t)
		case xml.CharData:
			if skip == 0 && len(w.stack) > 0 {
				w.emit(strings.Map(docxSpaceMap, string(t)))
			}
		}
	}
}

// skipElement lists the elements whose text is not document text: note marks, comments, tracked
// deletions, image descriptions, field declarations.
func (w *odtWalker) skipElement(t xml.StartElement) bool {
	switch t.Name.Local {
	case "note-citation", "annotation", "tracked-changes", "sequence-decls", "variable-decls",
		"user-field-decls", "forms", "script", "event-listeners":
		return true
	case "desc", "title":
		return strings.Contains(t.Name.Space, "svg")
	}
	return false
}

func (w *odtWalker) start(t xml.StartElement) {
	switch t.Name.Local {
	case "font-face":
		name := docxAttr(t, "name")
		fam := odtUnquote(docxAttr(t, "font-family"))
		if fam == "" {
			fam = name
		}
		w.st.faces[name] = fam
	case "style":
		w.cur = &odtStyle{parent: docxAttr(t, "parent-style-name")}
		w.st.byName[docxAttr(t, "family")+"/"+docxAttr(t, "name")] = w.cur
	case "default-style":
		w.cur = &odtStyle{}
		if w.st.defStyles == nil {
			w.st.defStyles = map[string]*odtStyle{}
		}
		w.st.defStyles[docxAttr(t, "family")] = w.cur
	case "text-properties":
		if w.cur != nil {
			for _, at := range t.Attr {
				switch {
				case at.Name.Local == "font-name":
					w.cur.face = at.Value
				case at.Name.Local == "font-family" && !strings.Contains(at.Name.Space, "style"):
					w.cur.family = odtUnquote(at.Value)
				}
			}
		}
	case "body":
		w.inBody = true
	case "note-body":
		w.noteDepth++
	case "p", "h":
		if w.inBody {
			font := w.st.font("paragraph", docxAttr(t, "style-name"))
			w.stack = append(w.stack, &odtPara{fonts: []string{font}, note: w.noteDepth > 0})
		}
	case "span", "a":
		if p := w.top(); p != nil {
			font := p.fonts[len(p.fonts)-1]
			if name := docxAttr(t, "style-name"); name != "" && t.Name.Local == "span" {
				if f := w.st.font("text", name); f != "" {
					font = f
				}
			}
			p.fonts = append(p.fonts, font)
		}
	case "s":
		n, err := strconv.Atoi(docxAttr(t, "c"))
		if err != nil || n < 1 {
			n = 1
		}
		w.emit(strings.Repeat(" ", min(n, 100)))
	case "tab":
		w.emit("\t")
	case "line-break":
		w.emit("\n")
	}
}

func (w *odtWalker) end(t xml.EndElement) {
	switch t.Name.Local {
	case "style", "default-style":
		w.cur = nil
	case "note-body":
		w.noteDepth--
	case "p", "h":
		if w.inBody && len(w.stack) > 0 {
			w.endPara()
		}
	case "span", "a":
		if p := w.top(); p != nil && len(p.fonts) > 1 {
			p.fonts = p.fonts[:len(p.fonts)-1]
		}
	case "body":
		w.inBody = false
	}
}

func (w *odtWalker) top() *odtPara {
	if len(w.stack) == 0 {
		return nil
	}
	return w.stack[len(w.stack)-1]
}

// emit appends text in the current span's font.
func (w *odtWalker) emit(s string) {
	p := w.top()
	if p == nil || s == "" {
		return
	}
	p.segs = textAppendSeg(p.segs, s, p.fonts[len(p.fonts)-1], false)
}

// endPara closes the innermost paragraph; footnote paragraphs go to the end of the text.
func (w *odtWalker) endPara() {
	p := w.stack[len(w.stack)-1]
	w.stack = w.stack[:len(w.stack)-1]
	if p.note {
		w.notes = append(w.notes, w.conv.para(p.segs))
	} else {
		w.paras = append(w.paras, w.conv.para(p.segs))
	}
}

// The ZIP container shared by ExtractDOCX and ExtractODT: a budget of decompressed bytes against zip
// bombs, errors mapped to Reasons, the OLE (CFB) files that are not ZIP at all, and small properties parts.

const (
	docxDefaultMaxBytes = 64 << 20
	docxMaxEntries      = 10000   // more archive entries than any real document has
	docxMaxPropsBytes   = 1 << 20 // docProps/core.xml, meta.xml, styles.xml: small parts
)

// errDocxBudget is returned by a part reader once the decompressed bytes pass Limits.MaxBytes;
// errDocxPartTooBig once one part passes its own cap.
var (
	errDocxBudget     = errors.New("extract: decompressed size over the limit")
	errDocxPartTooBig = errors.New("extract: part over its size limit")
)

// docxArchive is an opened ZIP container (DOCX or ODT) with a budget of decompressed bytes shared by
// every part read from it.
type docxArchive struct {
	files map[string]*zip.File // by lowercased name: OOXML part names are case-insensitive
	left  int64
}

// docxOpenArchive opens a DOCX/ODT container. OLE (CFB) files are told apart first: a password-protected
// OOXML document is a CFB file with an EncryptionInfo stream, anything else in CFB is a legacy Office file.
func docxOpenArchive(ra io.ReaderAt, size int64, lim Limits) (*docxArchive, error) {
	var head [8]byte
	if n, _ := ra.ReadAt(head[:], 0); n < 4 {
		return nil, Errorf(ReasonMalformed, "tệp rỗng hoặc quá ngắn")
	}
	if bytes.Equal(head[:], docxCFBMagic) {
		return nil, docxCFBError(ra, size)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, docxError(err, "tệp nén ZIP")
	}
	if len(zr.File) > docxMaxEntries {
		return nil, Errorf(ReasonTooLarge, "tệp nén có %d mục (giới hạn %d)", len(zr.File), docxMaxEntries)
	}
	budget := lim.MaxBytes
	if budget <= 0 {
		budget = docxDefaultMaxBytes
	}
	a := &docxArchive{files: make(map[string]*zip.File, len(zr.File)), left: budget}
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(f.Name, "/"))
		if _, dup := a.files[name]; !dup {
			a.files[name] = f
		}
	}
	return a, nil
}

// has reports whether the archive holds a part.
func (a *docxArchive) has(name string) bool {
	_, ok := a.files[strings.ToLower(strings.TrimPrefix(name, "/"))]
	return ok
}

// open returns a reader of one part's decompressed bytes, charged to the archive's budget; a missing
// part gives an error wrapping fs.ErrNotExist. partCap, when positive, also limits this part alone
// (errDocxPartTooBig): optional parts such as styles are small in real files.
func (a *docxArchive) open(name string, partCap int64) (io.ReadCloser, error) {
	f, ok := a.files[strings.ToLower(strings.TrimPrefix(name, "/"))]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	if f.Flags&0x1 != 0 {
		return nil, Errorf(ReasonEncrypted, "phần %s của tệp nén được mã hoá", name)
	}
	if f.UncompressedSize64 > uint64(a.left) {
		return nil, errDocxBudget
	}
	if partCap > 0 && f.UncompressedSize64 > uint64(partCap) {
		return nil, errDocxPartTooBig
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	return &docxBudgetReader{r: rc, c: rc, left: &a.left, cap: partCap}, nil
}

// docxBudgetReader counts decompressed bytes against a shared budget (and an optional per-part cap)
// and fails with errDocxBudget once either is spent, so a zip bomb stops after MaxBytes of work.
type docxBudgetReader struct {
	r    io.Reader
	c    io.Closer
	left *int64
	cap  int64 // per-part limit, 0 for none
	read int64
}

func (b *docxBudgetReader) Read(p []byte) (int, error) {
	if err := b.check(); err != nil {
		return 0, err
	}
	n, err := b.r.Read(p)
	*b.left -= int64(n)
	b.read += int64(n)
	if err := b.check(); err != nil {
		return n, err
	}
	return n, err
}

func (b *docxBudgetReader) check() error {
	switch {
	case *b.left < 0:
		return errDocxBudget
	case b.cap > 0 && b.read > b.cap:
		return errDocxPartTooBig
	}
	return nil
}

func (b *docxBudgetReader) Close() error { return b.c.Close() }

// docxError turns an archive or XML error into an *Error with a Reason.
func docxError(err error, what string) *Error {
	var e *Error
	var se *xml.SyntaxError
	var ce flate.CorruptInputError
	var pe *fs.PathError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, errDocxBudget), errors.Is(err, errDocxPartTooBig):
		return Errorf(ReasonTooLarge, "%s: nội dung giải nén vượt giới hạn", what)
	case errors.Is(err, zip.ErrAlgorithm):
		return Errorf(ReasonUnsupported, "%s: kiểu nén không được hỗ trợ", what)
	case errors.Is(err, fs.ErrNotExist):
		return Errorf(ReasonMalformed, "%s: thiếu phần %v", what, err)
	case errors.As(err, &se), errors.As(err, &ce), errors.Is(err, zip.ErrFormat),
		errors.Is(err, zip.ErrChecksum), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(ReasonMalformed, "%s: %v", what, err)
	case errors.As(err, &pe):
		return Errorf(ReasonIO, "%v", err)
	}
	return Errorf(ReasonMalformed, "%s: %v", what, err)
}

// docxCFBMagic starts every OLE compound file (CFB): legacy .doc/.xls/.ppt and encrypted OOXML.
var docxCFBMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// docxCFBError says what a CFB file is: an encrypted OOXML package (EncryptionInfo and EncryptedPackage
// streams), a Word 97–2003 document (WordDocument stream) or another legacy Office file.
func docxCFBError(ra io.ReaderAt, size int64) *Error {
	switch {
	case docxCFBHasStream(ra, size, "EncryptionInfo") || docxCFBHasStream(ra, size, "EncryptedPackage"):
		return Errorf(ReasonEncrypted, "tài liệu Office được đặt mật khẩu mở: hãy mở bằng mật khẩu, "+
			"bỏ mật khẩu rồi lưu lại dưới dạng DOCX hoặc PDF")
	case docxCFBHasStream(ra, size, "WordDocument"):
		return Errorf(ReasonUnsupported, "tệp Word 97–2003 (.doc) chưa được hỗ trợ: hãy mở bằng Word hoặc "+
			"LibreOffice rồi lưu lại dưới dạng DOCX hoặc PDF")
	}
	return Errorf(ReasonUnsupported, "tệp Office đời cũ (định dạng OLE) chưa được hỗ trợ: hãy lưu lại "+
		"dưới dạng DOCX hoặc PDF")
}

// docxCFBHasStream looks for a CFB directory entry naming a stream. Directory entries are 128 bytes,
// aligned on 128 in every sector size, with the UTF-16LE name first, its byte length (NUL included)
// at 0x40 and the object type (2 = stream) at 0x42, so scanning aligned slots finds them without
// following the FAT.
func docxCFBHasStream(ra io.ReaderAt, size int64, name string) bool {
	want := make([]byte, 0, 64)
	for _, r := range name {
		want = binary.LittleEndian.AppendUint16(want, uint16(r))
	}
	wantLen := uint16(len(want) + 2)
	buf := make([]byte, 64<<10) // a multiple of 128
	for off := int64(512); off < size; off += int64(len(buf)) {
		n, err := ra.ReadAt(buf, off)
		for i := 0; i+128 <= n; i += 128 {
			e := buf[i : i+128]
			if binary.LittleEndian.Uint16(e[0x40:]) == wantLen && e[0x42] == 2 && bytes.Equal(e[:len(want)], want) {
				return true
			}
		}
		if err != nil {
			break
		}
	}
	return false
}

// docxNewDecoder is the XML decoder for parts: lenient about entities and attribute quirks.
func docxNewDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.Strict = false
	return d
}

// docxAttr returns the value of the attribute with this local name, whatever its namespace.
func docxAttr(se xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// docxReadProps collects the text of the leaf elements of a small properties part by local name
// (several values of one name are joined by "; ").
func docxReadProps(a *docxArchive, name string) (map[string]string, error) {
	rc, err := a.open(name, docxMaxPropsBytes)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := docxNewDecoder(rc)
	props := map[string]string{}
	var cur string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return props, nil
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
			text.Reset()
		case xml.CharData:
			if cur != "" && text.Len() < 64<<10 {
				text.Write(t)
			}
		case xml.EndElement:
			if cur == t.Name.Local {
				if v := strings.TrimSpace(text.String()); v != "" {
					if old := props[cur]; old != "" {
						v = old + "; " + v
					}
					props[cur] = v
				}
			}
			cur = ""
		}
	}
}
