package vntext

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold removes all diacritics: "Đà Nẵng" → "Da Nang", "Ð" → "D", "ư" → "u".
// It keeps case and gives the same result for NFC and NFD input; the result
// is NFC. Combining marks U+0300–U+036F are removed from every script.
func Fold(s string) string {
	i := 0
	for i < len(s) && s[i] < 0x80 {
		i++
	}
	if i == len(s) {
		return s
	}
	// Fast path: ASCII plus precomposed Vietnamese letters.
	out := make([]byte, i, len(s))
	copy(out, s[:i])
	for j := i; j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		if r < 0x80 {
			out = append(out, byte(r))
			j++
			continue
		}
		info := letterInfo(r)
		if info == 0 {
			return foldSlow(s)
		}
		out = append(out, foldLetter(r, info))
		j += size
	}
	return string(out)
}

// foldLetter returns the ASCII fold of a letter from the tables, in its case.
func foldLetter(r rune, info uint16) byte {
	var c byte
	switch {
	case info&infoVowel != 0:
		c = vowelFold[info&infoVowel]
	case info&infoDStrk != 0:
		c = 'd'
	default:
		c = byte(r) | 0x20
	}
	if info&infoUpper != 0 {
		c -= 'a' - 'A'
	}
	return c
}

func foldSlow(s string) string {
	d := norm.NFD.String(s)
	out := make([]byte, 0, len(d))
	for _, r := range d {
		switch {
		case r >= 0x0300 && r <= 0x036f:
		case r == 'đ', r == 'ð':
			out = append(out, 'd')
		case r == 'Đ', r == 'Ð':
			out = append(out, 'D')
		default:
			out = utf8.AppendRune(out, r)
		}
	}
	return norm.NFC.String(string(out))
}

// FoldKey is the folded index form: Normalize'd, lowercased and folded
// ("Đà Nẵng" → "da nang").
func FoldKey(s string) string {
	return Normalize(Fold(strings.ToLower(s)))
}

// AppendFoldKey appends FoldKey(tok) to dst; tok is one token without
// spaces. ASCII, precomposed Vietnamese letters and letters without
// diacritics take an allocation-free path; anything else goes through
// FoldKey.
func AppendFoldKey(dst, tok []byte) []byte {
	start := len(dst)
	for i := 0; i < len(tok); {
		c := tok[i]
		if c < 0x80 {
			if c <= ' ' || c == 0x7f {
				return slowFoldKey(dst[:start], tok)
			}
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(tok[i:])
		i += size
		if info := letterInfo(r); info != 0 {
			dst = append(dst, foldLetter(r, info&^infoUpper))
			continue
		}
		lr, ok := plainRune(r)
		if !ok {
			return slowFoldKey(dst[:start], tok)
		}
		dst = utf8.AppendRune(dst, lr)
	}
	return dst
}

// slowFoldKey redoes the whole token; callers pass dst without what the fast
// path appended.
func slowFoldKey(dst, tok []byte) []byte {
	return append(dst, FoldKey(string(tok))...)
}

// HasDiacritics reports whether s has any Vietnamese diacritic (a tone or
// vowel mark, or đ/Đ), precomposed or combining.
func HasDiacritics(s string) bool {
	for _, r := range s {
		if r < 0x80 {
			continue
		}
		switch r {
		case 0x0300, 0x0301, 0x0302, 0x0303, 0x0306, 0x0309, 0x031b, 0x0323, 0x0340, 0x0341:
			return true
		}
		info := letterInfo(r)
		if info&infoDStrk != 0 || info&infoTone != 0 {
			return true
		}
		if v := uint8(info & infoVowel); v != 0 && isMarkedVowel(v) {
			return true
		}
	}
	return false
}
