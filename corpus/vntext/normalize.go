package vntext

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Report counts what Normalize changed. Replacement counts U+FFFD seen in
// the output (text already lost upstream, or invalid UTF-8 bytes).
type Report struct {
	NFC          int // runes removed by composition (at least 1 if NFC changed s)
	EthToDStroke int // Ð/ð replaced by Đ/đ
	ZeroWidth    int // zero-width characters and soft hyphens removed
	Control      int // control and bidi-format characters removed
	Whitespace   int // spaces or line breaks rewritten, merged or trimmed
	Replacement  int // U+FFFD in the output
	InvalidUTF8  int // invalid bytes replaced by U+FFFD
}

// Changed reports whether Normalize changed the text.
func (r Report) Changed() bool {
	return r.NFC+r.EthToDStroke+r.ZeroWidth+r.Control+r.Whitespace+r.InvalidUTF8 > 0
}

// Normalize returns s in the canonical form for storage and display: NFC;
// Ð/ð (U+00D0/U+00F0, often typed for Đ/đ) → Đ/đ; zero-width characters
// (U+200B–U+200D, U+2060, U+FEFF, soft hyphen U+00AD), control characters
// and bidi controls removed; \t and other Unicode spaces (NBSP included) →
// ' '; runs of spaces → one; \r\n, \r, U+0085, U+2028, U+2029 → \n; spaces at
// both ends of each line trimmed; at most two consecutive \n; the whole text
// trimmed. Tone-mark placement is kept as the author wrote it.
func Normalize(s string) string {
	if cleanASCII(s) {
		return s
	}
	out, _ := normalize(s)
	return out
}

// NormalizeReport is Normalize plus a report of what changed.
func NormalizeReport(s string) (string, Report) {
	return normalize(s)
}

// cleanASCII reports whether s is printable ASCII already in normal form, so
// Normalize can return it without copying.
func cleanASCII(s string) bool {
	if len(s) == 0 {
		return true
	}
	if s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || s[len(s)-1] == '\n' {
		return false
	}
	var prev, prev2 byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			if prev == ' ' || prev == '\n' {
				return false
			}
		case c == '\n':
			if prev == ' ' || prev == '\n' && prev2 == '\n' {
				return false
			}
		case c < ' ' || c >= 0x7f:
			return false
		}
		prev2, prev = prev, c
	}
	return true
}

// Character classes for normalize.
const (
	clsOther = iota
	clsDrop
	clsSpace
	clsNewline
)

func classify(r rune, rep *Report) (rune, int) {
	switch {
	case r == ' ':
		return r, clsSpace
	case r == '\n':
		return r, clsNewline
	case r == '\r', r == 0x85, r == 0x2028, r == 0x2029:
		rep.Whitespace++
		return '\n', clsNewline
	case r == '\t', r == '\v', r == '\f':
		rep.Whitespace++
		return ' ', clsSpace
	case r < ' ', r >= 0x7f && r < 0xa0:
		rep.Control++
		return r, clsDrop
	case r == 0x00ad, r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff:
		rep.ZeroWidth++
		return r, clsDrop
	case r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		rep.Control++
		return r, clsDrop
	case r == 0x00d0:
		rep.EthToDStroke++
		return 'Đ', clsOther
	case r == 0x00f0:
		rep.EthToDStroke++
		return 'đ', clsOther
	case r >= 0x80 && unicode.Is(unicode.Zs, r):
		rep.Whitespace++
		return ' ', clsSpace
	}
	return r, clsOther
}

func normalize(s string) (string, Report) {
	var rep Report
	out := make([]byte, 0, len(s))
	pendSpace, pendNL := false, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			rep.InvalidUTF8++
		}
		// \r\n is one line break.
		if r == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			size = 2
			r = '\n'
			rep.Whitespace++
		}
		i += size
		r, cls := classify(r, &rep)
		switch cls {
		case clsDrop:
		case clsSpace:
			if pendSpace || pendNL > 0 || len(out) == 0 {
				rep.Whitespace++ // merged, or at the start of a line
			} else {
				pendSpace = true
			}
		case clsNewline:
			if pendSpace {
				rep.Whitespace++ // space at the end of a line
				pendSpace = false
			}
			if len(out) == 0 || pendNL == 2 {
				rep.Whitespace++
			} else {
				pendNL++
			}
		default:
			for ; pendNL > 0; pendNL-- {
				out = append(out, '\n')
			}
			if pendSpace {
				out = append(out, ' ')
				pendSpace = false
			}
			if r == utf8.RuneError {
				rep.Replacement++
			}
			out = utf8.AppendRune(out, r)
		}
	}
	if pendSpace {
		rep.Whitespace++
	}
	rep.Whitespace += pendNL
	if !norm.NFC.IsNormal(out) {
		n := utf8.RuneCount(out)
		out = norm.NFC.Append(nil, out...)
		rep.NFC = max(1, n-utf8.RuneCount(out))
	}
	return string(out), rep
}
