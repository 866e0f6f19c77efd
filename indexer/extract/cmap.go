package extract

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ledongthuc/pdf"
)

// This file reads a font's ToUnicode CMap into a map once. The library's CMap decoder scans every
// range per character (slow on large CMaps) and adds a code's offset into a bfrange to the destination's
// last byte only, which loses letters in ranges that cross a 256-code boundary (Acrobat writes such
// ranges: "nng" for "năng").

const (
	maxCMapEntries = 1 << 20
	maxRangeSpan   = 1 << 16
)

// toUnicode maps character codes to text.
type toUnicode map[uint32]string

func codeOf(raw string) uint32 {
	var c uint32
	for i := 0; i < len(raw) && i < 4; i++ {
		c = c<<8 | uint32(raw[i])
	}
	return c
}

func utf16Text(raw string) string {
	if len(raw)%2 == 1 {
		r := make([]rune, len(raw)) // not UTF-16BE: take the bytes as Latin-1
		for i := 0; i < len(raw); i++ {
			r[i] = rune(raw[i])
		}
		return string(r)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	return string(utf16.Decode(u))
}

// addUTF16 adds k to a UTF-16BE string taken as a big-endian integer, as a bfrange destination says.
func addUTF16(raw string, k uint32) string {
	b := []byte(raw)
	carry := k
	for i := len(b) - 1; i >= 0 && carry > 0; i-- {
		s := uint32(b[i]) + carry
		b[i] = byte(s)
		carry = s >> 8
	}
	return utf16Text(string(b))
}

// readToUnicode parses a ToUnicode stream; nil when there is none or it holds nothing usable. It has its
// own small tokenizer: the library's PostScript interpreter panics on "findresource ... begin" when
// called from outside the library.
func readToUnicode(v pdf.Value) (m toUnicode) {
	if v.Kind() != pdf.Stream {
		return nil
	}
	defer func() {
		if recover() != nil {
			m = nil
		}
	}()
	rc := v.Reader()
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 16<<20))
	if err != nil && len(data) == 0 {
		return nil
	}
	m = toUnicode{}
	var ops []cmapToken // operands since the last operator
	for _, t := range cmapTokens(data) {
		if t.kind != 'o' {
			ops = append(ops, t)
			continue
		}
		switch t.s {
		case "endbfchar":
			for i := 0; i+1 < len(ops) && len(m) < maxCMapEntries; i += 2 {
				if ops[i].kind == 'x' && ops[i+1].kind == 'x' {
					m[codeOf(ops[i].s)] = utf16Text(ops[i+1].s)
				}
			}
		case "endbfrange":
			for i := 0; i+2 < len(ops); i += 3 {
				if ops[i].kind != 'x' || ops[i+1].kind != 'x' {
					continue
				}
				lo, hi, dst := codeOf(ops[i].s), codeOf(ops[i+1].s), ops[i+2]
				if hi < lo || hi-lo >= maxRangeSpan {
					continue
				}
				for c := lo; c <= hi && len(m) < maxCMapEntries; c++ {
					switch {
					case dst.kind == 'x':
						m[c] = addUTF16(dst.s, c-lo)
					case dst.kind == 'a' && int(c-lo) < len(dst.arr):
						m[c] = utf16Text(dst.arr[c-lo])
					}
				}
			}
		}
		ops = ops[:0]
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// cmapToken is a hex string ('x', s holds the bytes), an array of hex strings ('a'), an operator or
// other word ('o'), or a number or name ('n').
type cmapToken struct {
	kind byte
	s    string
	arr  []string
}

func cmapTokens(b []byte) []cmapToken {
	var out []cmapToken
	var arr []string
	inArr := false
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '%':
			for i < len(b) && b[i] != '\n' && b[i] != '\r' {
				i++
			}
		case c <= ' ':
			i++
		case c == '<' && i+1 < len(b) && b[i+1] == '<', c == '>' && i+1 < len(b) && b[i+1] == '>':
			i += 2
		case c == '<':
			j := i + 1
			var hex []byte
			for j < len(b) && b[j] != '>' {
				if h := unhexByte(b[j]); h >= 0 {
					hex = append(hex, byte(h))
				}
				j++
			}
			if len(hex)%2 == 1 {
				hex = append(hex, 0)
			}
			raw := make([]byte, len(hex)/2)
			for k := range raw {
				raw[k] = hex[2*k]<<4 | hex[2*k+1]
			}
			if inArr {
				arr = append(arr, string(raw))
			} else {
				out = append(out, cmapToken{kind: 'x', s: string(raw)})
			}
			i = j + 1
		case c == '[':
			inArr, arr = true, nil
			i++
		case c == ']':
			if inArr {
				out = append(out, cmapToken{kind: 'a', arr: arr})
			}
			inArr = false
			i++
		case c == '(':
			// Literal strings appear only in the CIDSystemInfo: skip them (with nesting).
			depth := 0
			for ; i < len(b); i++ {
				if b[i] == '\\' {
					i++
					continue
				}
				if b[i] == '(' {
					depth++
				} else if b[i] == ')' {
					depth--
					if depth == 0 {
						i++
						break
					}
				}
			}
		default:
			j := i
			for j < len(b) && b[j] > ' ' && !strings.ContainsRune("<>[]()/%", rune(b[j])) || j == i {
				j++
			}
			w := string(b[i:j])
			kind := byte('o')
			if c == '/' || (c >= '0' && c <= '9') || c == '-' || c == '.' {
				kind = 'n'
			}
			if !inArr {
				out = append(out, cmapToken{kind: kind, s: w})
			}
			i = j
		}
	}
	return out
}

func unhexByte(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// glyphNameRune reads the Unicode value from a "uniXXXX" or "uXXXX[XX]" glyph name.
func glyphNameRune(name string) (string, bool) {
	hexPart := ""
	switch {
	case strings.HasPrefix(name, "uni") && len(name) >= 7:
		hexPart = name[3:7]
	case strings.HasPrefix(name, "u") && len(name) >= 5 && len(name) <= 7:
		hexPart = name[1:]
	default:
		return "", false
	}
	n, err := strconv.ParseUint(hexPart, 16, 32)
	if err != nil || n == 0 || (n >= 0xD800 && n <= 0xDFFF) || n > 0x10FFFF {
		return "", false
	}
	return string(rune(n)), true
}

// differencesNames reads the uni-named glyphs of an encoding's Differences array.
func differencesNames(enc pdf.Value) map[int]string {
	d := enc.Key("Differences")
	if d.Kind() != pdf.Array {
		return nil
	}
	var m map[int]string
	code := 0
	for i := 0; i < d.Len() && i < 4096; i++ {
		x := d.Index(i)
		switch x.Kind() {
		case pdf.Integer:
			code = int(x.Int64())
		case pdf.Name:
			if s, ok := glyphNameRune(x.Name()); ok {
				if m == nil {
					m = map[int]string{}
				}
				m[code] = s
			}
			code++
		}
	}
	return m
}
