package pdffixture

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Ref is the number of an indirect object (generation 0 throughout: fixtures are written in one go).
type Ref int

// String is the reference as written in a PDF: "N 0 R".
func (r Ref) String() string { return strconv.Itoa(int(r)) + " 0 R" }

// object is one indirect object: a body, or a stream dictionary (without /Length) and its data.
type object struct {
	body     string
	stream   []byte
	isStream bool
	set      bool
	plain    bool // never encrypted (the /Encrypt dictionary itself)
}

// Builder collects the objects of one PDF and writes them with a cross-reference table and trailer.
// Objects may refer to each other in any order: Alloc reserves a number, Set fills it later. Fonts
// register a finisher that writes their widths and maps once all text is laid out.
type Builder struct {
	// Header is the version line, "%PDF-1.7" unless changed.
	Header string
	// ID is the first element of the trailer's /ID (and the key salt of RC4 encryption).
	ID        []byte
	objs      []object
	finish    []func() error
	finished  bool
	crypt     *rc4Crypt
	encRef    Ref
	fontFiles map[*TTF]Ref
}

// NewBuilder starts a PDF; seed makes the file ID, so the same fixture always gives the same bytes.
func NewBuilder(seed string) *Builder {
	id := md5.Sum([]byte("pdffixture:" + seed))
	return &Builder{Header: "%PDF-1.7", ID: id[:], fontFiles: map[*TTF]Ref{}}
}

// Alloc reserves an object number, to be filled by Set or SetStream.
func (b *Builder) Alloc() Ref {
	b.objs = append(b.objs, object{})
	return Ref(len(b.objs))
}

// Set fills an object with a body such as "<< /Type /Page ... >>".
func (b *Builder) Set(r Ref, body string) { b.objs[r-1] = object{body: body, set: true} }

// SetStream fills an object with a stream: dict is the dictionary without /Length, data the raw
// (already filtered) bytes.
func (b *Builder) SetStream(r Ref, dict string, data []byte) {
	b.objs[r-1] = object{body: dict, stream: data, isStream: true, set: true}
}

// Add adds an object and returns its reference.
func (b *Builder) Add(body string) Ref {
	r := b.Alloc()
	b.Set(r, body)
	return r
}

// AddStream adds a stream whose data is written as is; dict is "<< ... >>" without /Length.
func (b *Builder) AddStream(dict string, data []byte) Ref {
	r := b.Alloc()
	b.SetStream(r, dict, data)
	return r
}

// AddFlate adds a stream compressed with FlateDecode; extra is more dictionary entries ("/Type /XObject
// ..."), without the brackets.
func (b *Builder) AddFlate(extra string, data []byte) Ref {
	return b.AddStream("<< "+extra+" /Filter /FlateDecode >>", Deflate(data))
}

// OnFinish registers work to do just before the file is written (fonts write their glyph maps then).
func (b *Builder) OnFinish(f func() error) { b.finish = append(b.finish, f) }

// Deflate compresses data as a zlib stream, the format of /FlateDecode.
func Deflate(data []byte) []byte {
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// String placeholders: text strings in object bodies are written through Str, so that encryption can
// find and encrypt them with the key of the object that holds them.
const strMark = "\x00S"

// Str returns a PDF string for s, as a placeholder resolved when the file is written: ASCII stays
// PDFDocEncoding, anything else becomes UTF-16BE with a byte order mark, as the spec wants for text.
func Str(s string) string {
	raw := []byte(s)
	for _, r := range s {
		if r > 0x7e {
			u := utf16.Encode([]rune(s))
			raw = []byte{0xfe, 0xff}
			for _, c := range u {
				raw = append(raw, byte(c>>8), byte(c))
			}
			break
		}
	}
	return strMark + hex.EncodeToString(raw) + "\x00"
}

// resolve replaces the string placeholders of object num by hex strings, encrypted when the file is.
func (b *Builder) resolve(num int, body string, plain bool) string {
	if !strings.Contains(body, strMark) {
		return body
	}
	var sb strings.Builder
	for {
		i := strings.Index(body, strMark)
		if i < 0 {
			sb.WriteString(body)
			return sb.String()
		}
		j := strings.IndexByte(body[i+2:], 0)
		raw, _ := hex.DecodeString(body[i+2 : i+2+j])
		if b.crypt != nil && !plain {
			raw = b.crypt.encrypt(num, raw)
		}
		sb.WriteString(body[:i])
		sb.WriteString("<" + hex.EncodeToString(raw) + ">")
		body = body[i+2+j+1:]
	}
}

// layout is a written file body: the bytes so far and where each object starts.
type layout struct {
	buf     bytes.Buffer
	offsets []int // offsets[n] is where object n starts; offsets[0] unused
}

// body writes the header and every object. It runs the finishers first.
func (b *Builder) body() (*layout, error) {
	if !b.finished {
		b.finished = true
		for i := 0; i < len(b.finish); i++ { // finishers may add objects and finishers
			if err := b.finish[i](); err != nil {
				return nil, err
			}
		}
	}
	l := &layout{offsets: make([]int, len(b.objs)+1)}
	// A binary comment after the header tells transfer programs the file is binary, as every writer does.
	l.buf.WriteString(b.Header + "\n%\xe2\xe3\xcf\xd3\n")
	for i, o := range b.objs {
		num := i + 1
		if !o.set {
			return nil, fmt.Errorf("pdffixture: object %d was allocated but never set", num)
		}
		l.offsets[num] = l.buf.Len()
		fmt.Fprintf(&l.buf, "%d 0 obj\n", num)
		body := b.resolve(num, o.body, o.plain)
		if !o.isStream {
			l.buf.WriteString(body + "\nendobj\n")
			continue
		}
		data := o.stream
		if b.crypt != nil && !o.plain {
			data = b.crypt.encrypt(num, data)
		}
		d := strings.TrimSpace(body)
		d = strings.TrimSuffix(d, ">>") + fmt.Sprintf(" /Length %d >>", len(data))
		l.buf.WriteString(d + "\nstream\n")
		l.buf.Write(data)
		l.buf.WriteString("\nendstream\nendobj\n")
	}
	return l, nil
}

// xrefTable writes a classic cross-reference table for offsets, each shifted by delta.
func xrefTable(buf *bytes.Buffer, offsets []int, delta int) {
	fmt.Fprintf(buf, "xref\n0 %d\n0000000000 65535 f\r\n", len(offsets))
	for _, off := range offsets[1:] {
		fmt.Fprintf(buf, "%010d 00000 n\r\n", off+delta)
	}
}

// trailerDict is the trailer dictionary's entries: size, root, info, encryption and ID.
func (b *Builder) trailerDict(size int, root, info Ref, extra string) string {
	s := fmt.Sprintf("/Size %d /Root %s", size, root)
	if info != 0 {
		s += " /Info " + info.String()
	}
	if b.encRef != 0 {
		s += " /Encrypt " + b.encRef.String()
	}
	id := hex.EncodeToString(b.ID)
	s += fmt.Sprintf(" /ID [<%s> <%s>]", id, id)
	if extra != "" {
		s += " " + extra
	}
	return "<< " + s + " >>"
}

// WriteOptions bend the file structure for broken and hostile fixtures; the zero value writes a
// well-formed file.
type WriteOptions struct {
	Prefix      []byte // junk before the header; xref offsets stay relative to the header
	Suffix      []byte // junk after %%EOF
	OffsetDelta int    // added to every xref offset: a wrong table that readers must rebuild
	Trailer     string // more trailer entries
}

// Bytes writes the file with root as the catalog and info (or 0) as the document information.
func (b *Builder) Bytes(root, info Ref) ([]byte, error) { return b.Write(root, info, WriteOptions{}) }

// Write writes the file with options.
func (b *Builder) Write(root, info Ref, o WriteOptions) ([]byte, error) {
	l, err := b.body()
	if err != nil {
		return nil, err
	}
	xref := l.buf.Len()
	xrefTable(&l.buf, l.offsets, o.OffsetDelta)
	fmt.Fprintf(&l.buf, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", b.trailerDict(len(l.offsets), root, info, o.Trailer), xref)
	out := append(append([]byte{}, o.Prefix...), l.buf.Bytes()...)
	return append(out, o.Suffix...), nil
}

// A4 is the page size of Vietnamese reports, in points.
var A4 = [2]float64{595.28, 841.89}

// Page is one page to add: its content stream (uncompressed; it is Flate-compressed on writing) and
// the resources it names.
type Page struct {
	Content  []byte
	Fonts    map[string]Ref // resource name (without slash) → font
	XObjects map[string]Ref // resource name → image or form
}

// resources writes a resource dictionary naming fonts and XObjects.
func resources(fonts, xobjs map[string]Ref) string {
	var sb strings.Builder
	sb.WriteString("<< /ProcSet [/PDF /Text /ImageB /ImageC]")
	for _, d := range []struct {
		key string
		m   map[string]Ref
	}{{"Font", fonts}, {"XObject", xobjs}} {
		if len(d.m) == 0 {
			continue
		}
		sb.WriteString(" /" + d.key + " <<")
		for _, name := range sortedKeys(d.m) {
			sb.WriteString(" /" + name + " " + d.m[name].String())
		}
		sb.WriteString(" >>")
	}
	sb.WriteString(" >>")
	return sb.String()
}

// Document adds the pages under one page tree node and a catalog, and returns the catalog.
func (b *Builder) Document(pages []Page) Ref {
	tree := b.Alloc()
	kids := make([]string, len(pages))
	for i, p := range pages {
		content := b.AddFlate("", p.Content)
		kids[i] = b.Add(fmt.Sprintf("<< /Type /Page /Parent %s /MediaBox [0 0 %g %g] /Resources %s /Contents %s >>",
			tree, A4[0], A4[1], resources(p.Fonts, p.XObjects), content)).String()
	}
	b.Set(tree, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(pages)))
	return b.Add(fmt.Sprintf("<< /Type /Catalog /Pages %s >>", tree))
}

// Info adds a document information dictionary with a title and producer, as office programs write it.
func (b *Builder) Info(title, producer string) Ref {
	return b.Add(fmt.Sprintf("<< /Title %s /Producer %s /CreationDate %s >>",
		Str(title), Str(producer), Str("D:20240115093000+07'00'")))
}
