package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"ketnoi/corpus/vntext"
)

// Record files come in UTF-8, UTF-16 or a legacy 8-bit encoding; the readers see UTF-8 only.

// legacyToUTF8 looks at the start of r: valid UTF-8 is streamed (a later part that is not UTF-8 is
// decoded on its own, see utf8Stream); otherwise the whole input is decoded from the legacy encoding
// vntext.Detect picks. note gives, once, the warning that says so.
func legacyToUTF8(r io.Reader) (_ io.Reader, note func() *Problem, _ error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		// UTF-16 with its byte order mark, as Excel's "Unicode Text" saves: Unicode already, nothing to note.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder()
		return transform.NewReader(br, dec), func() *Problem { return nil }, nil
	}
	if utf8.Valid(trimPartialRune(head)) {
		u := &utf8Stream{br: br}
		return u, u.takeNote, nil
	}
	all, err := io.ReadAll(br)
	if err != nil {
		return nil, nil, err
	}
	enc, conf := vntext.Detect(all)
	if enc == vntext.UTF8 {
		return bytes.NewReader(all), func() *Problem { return nil }, nil
	}
	s, lost, err := vntext.Decode(all, enc)
	if err != nil {
		return nil, nil, err
	}
	msg := fmt.Sprintf("tệp không phải UTF-8; đã đọc theo bảng mã %s (độ tin cậy %.0f%%) và chuyển sang Unicode", enc, 100*conf)
	if lost > 0 {
		msg += fmt.Sprintf("; %d byte không có ký tự tương ứng", lost)
	}
	p := &Problem{Severity: Warning, Code: ProblemRepairedEncoding, Message: msg}
	return strings.NewReader(s), func() (n *Problem) { n, p = p, nil; return n }, nil
}

// utf8Stream passes valid UTF-8 through line by line. A line (or a long line's piece) that is not valid
// UTF-8, as where a legacy-encoded file was joined to a UTF-8 one, is decoded from the legacy encoding
// vntext.Detect finds in the first such line, and the first one is noted; otherwise its bytes would turn
// into U+FFFD, its text lost without a word.
type utf8Stream struct {
	br    *bufio.Reader
	out   []byte // ready to be read
	carry []byte // a UTF-8 sequence cut at the end of a piece of a long line
	line  int    // lines passed whole
	enc   vntext.Encoding
	note  *Problem
	err   error
}

func (u *utf8Stream) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		chunk, err := u.br.ReadSlice('\n')
		if err != nil && err != bufio.ErrBufferFull {
			u.err = err
		}
		b := append(u.carry, chunk...)
		u.carry = nil
		if err == bufio.ErrBufferFull {
			keep := trimPartialRune(b)
			u.carry = append([]byte(nil), b[len(keep):]...)
			b = keep
		}
		if !utf8.Valid(b) {
			b = u.decode(b)
		}
		u.out = append(u.out[:0], b...)
		if err == nil {
			u.line++
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// decode reads a piece that is not UTF-8 in the legacy encoding of the first such piece.
func (u *utf8Stream) decode(b []byte) []byte {
	if u.enc == "" {
		enc, conf := vntext.Detect(b)
		if enc == vntext.UTF8 {
			enc = vntext.Latin1
		}
		u.enc = enc
		u.note = &Problem{Severity: Warning, Code: ProblemRepairedEncoding, Line: u.line + 1, Message: fmt.Sprintf(
			"từ dòng %d tệp không còn là UTF-8; đã đọc các dòng đó theo bảng mã %s (độ tin cậy %.0f%%) và chuyển sang Unicode", u.line+1, enc, 100*conf)}
	}
	s, _, err := vntext.Decode(b, u.enc)
	if err != nil {
		return bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	return []byte(s)
}

func (u *utf8Stream) takeNote() (n *Problem) {
	n, u.note = u.note, nil
	return n
}

// trimPartialRune drops an incomplete UTF-8 sequence cut at the end of a peeked buffer.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}
