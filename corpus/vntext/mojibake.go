package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// SyllableValidity returns the share of word tokens that are valid
// Vietnamese syllables (onset, rhyme, spelling and tone constraints,
// simplified but real). Tokens are split on spaces and ASCII punctuation;
// tokens with digits are skipped; a token with any non-letter inside, or a
// letter outside the Vietnamese alphabet, is invalid. ASCII-only tokens that
// spell a syllable ("nam", "cho") count as valid. It returns 0 when s has no
// word tokens.
func SyllableValidity(s string) float64 {
	v, n := validity(s, false)
	if n == 0 {
		return 0
	}
	return float64(v) / float64(n)
}

// validity counts the valid word tokens of s and all of them; with
// nonASCII, only tokens with a non-ASCII character count (the ones that tell
// legacy decodings apart).
func validity(s string, nonASCII bool) (valid, total int) {
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s)
	}
	start := -1
	for i := 0; i <= len(s); {
		r, size := rune(' '), 1
		if i < len(s) {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		if isTokenBreak(r) {
			if start >= 0 {
				ok, counted := tokenValid(s[start:i], nonASCII)
				if counted {
					total++
					if ok {
						valid++
					}
				}
				start = -1
			}
		} else if start < 0 {
			start = i
		}
		i += size
	}
	return valid, total
}

func isTokenBreak(r rune) bool {
	if r < 0x80 {
		return r <= ' ' || r == 0x7f || (!isLetter(byte(r)) && (r < '0' || r > '9'))
	}
	return unicode.IsSpace(r)
}

// Quotes trimmed only on the side where they belong, so that the “ closing
// a mojibake sequence such as "Há»“" still spoils its token.
const (
	openPunct  = "“‘«„‚¿¡"
	closePunct = "”’»…–—"
)

func tokenValid(tok string, nonASCII bool) (valid, counted bool) {
	for {
		r, n := utf8.DecodeRuneInString(tok)
		if n == 0 || !strings.ContainsRune(openPunct, r) {
			break
		}
		tok = tok[n:]
	}
	for {
		r, n := utf8.DecodeLastRuneInString(tok)
		if n == 0 || !strings.ContainsRune(closePunct, r) {
			break
		}
		tok = tok[:len(tok)-n]
	}
	if tok == "" {
		return false, false
	}
	ascii := true
	for _, r := range tok {
		if unicode.IsDigit(r) {
			return false, false
		}
		if r >= 0x80 {
			ascii = false
		}
	}
	if nonASCII && ascii {
		return false, false
	}
	var buf [maxSyllable + 1]slot
	ls := buf[:0]
	for _, r := range tok {
		info := letterInfo(r)
		if info == 0 || len(ls) == cap(ls) {
			return false, true
		}
		s := makeSlot(r, info)
		if s.c == 0 && s.v == 0 {
			return false, true
		}
		ls = append(ls, s)
	}
	return validSyllable(ls), true
}

// Windows-1252 has no character for 81 8D 8F 90 9D, and A0/AD (no-break
// space, soft hyphen) tend to vanish, so UTF-8 read as Windows-1252 often
// loses the last byte of a letter ("Ä" for Đ = C4 90, "há»c" for học).
var lostBytes = [...]byte{0xa0, 0x8d, 0x9d, 0x81, 0x90, 0x8f, 0xad}

// lenientUTF8 decodes b as UTF-8, restoring a lost last byte of a sequence
// when a choice gives valid Vietnamese words, and showing any other invalid
// byte as the Windows-1252 character it came from.
func lenientUTF8(b []byte) string {
	w := tables[Latin1]
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || size > 1 {
			out = append(out, b[i:i+size]...)
			i += size
			continue
		}
		if seq, used := guessLost(out, b, i); used > 0 {
			out = append(out, seq...)
			i += used
			continue
		}
		out = append(out, w[b[i]]...)
		i++
	}
	return string(out)
}

func seqLen(lead byte) int {
	switch {
	case lead >= 0xc2 && lead <= 0xdf:
		return 2
	case lead >= 0xe0 && lead <= 0xef:
		return 3
	case lead >= 0xf0 && lead <= 0xf4:
		return 4
	}
	return 0
}

// guessLost tries to complete the sequence at b[i] missing its last byte.
// It returns the completed sequence and how many input bytes it replaces.
func guessLost(out, b []byte, i int) ([]byte, int) {
	need := seqLen(b[i])
	have := 0
	for have < need-1 && i+1+have < len(b) && b[i+1+have]&0xc0 == 0x80 {
		have++
	}
	if need == 0 || have != need-2 {
		return nil, 0
	}
	prefix := b[i : i+1+have]
	left := out[lastBreak(out):]
	var best []byte
	bestUsed, bestScore := 0, 0.0
	last, _ := utf8.DecodeLastRune(left)
	prevUpper := letterInfo(last)&infoUpper != 0
	nextSpace := i+len(prefix) < len(b) && b[i+len(prefix)] == ' '
	for k, c := range lostBytes {
		seq := append(append(make([]byte, 0, 4), prefix...), c)
		r, size := utf8.DecodeRune(seq)
		info := letterInfo(r)
		if size != len(seq) || (info == 0 && r != 0xa0) {
			continue
		}
		if info&infoUpper != 0 && len(left) > 0 && !prevUpper {
			continue // a capital inside a lowercase word is not a likely guess
		}
		if c == 0xa0 && !nextSpace {
			continue // only a no-break space that became a plain space
		}
		used := len(prefix)
		j := i + used
		if c == 0xa0 {
			used++
			j++
		}
		end := nextWordEnd(b, j)
		window := string(left) + string(seq) + string(b[j:end])
		v, n := validity(window, false)
		if n == 0 {
			continue
		}
		// Earlier bytes in lostBytes win ties: they are the commoner letters.
		score := float64(v)/float64(n) - float64(k)*1e-3
		if score > bestScore {
			best, bestUsed, bestScore = seq, used, score
		}
	}
	if bestScore <= 0 {
		return nil, 0
	}
	return best, bestUsed
}

// lastBreak returns the start of the last word in out.
func lastBreak(out []byte) int {
	for k := len(out) - 1; k >= 0; k-- {
		if out[k] == ' ' || out[k] == '\n' || out[k] == '\t' {
			return k + 1
		}
	}
	return 0
}

// nextWordEnd returns the end of the word after the current one, so a guess
// is judged with its neighbour ("thÃ nh": "thành" beats "thí nh").
func nextWordEnd(b []byte, j int) int {
	k := j
	for k < len(b) && !isSpaceByte(b[k]) {
		k++
	}
	for k < len(b) && isSpaceByte(b[k]) {
		k++
	}
	for k < len(b) && !isSpaceByte(b[k]) {
		k++
	}
	return k
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// bytes1258 is fontBytes for Windows-1258 readers.
func bytes1258(s string) []byte {
	raw := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := inv1258[r]; ok {
			raw = append(raw, b...)
		} else if r != utf8.RuneError { // U+FFFD: a lost byte, let lenientUTF8 guess it
			raw = utf8.AppendRune(raw, r)
		}
	}
	return raw
}

// RepairMojibake detects UTF-8 text that was read as Windows-1252/Latin-1
// or Windows-1258 and re-encoded ("Há»“ ChÃ­ Minh", "KhoÃ¡ luáº­n"), and legacy
// font text shown as Latin-1 (TCVN3 "B¶o ®¶m", VNI "haøng ngöôøi"). It
// returns the repaired NFC text and true only when the repair clearly raises
// SyllableValidity; otherwise s unchanged and false. Run it before Normalize,
// which removes the soft hyphens some of these sequences contain.
func RepairMojibake(s string) (string, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s, false
	}
	cur, repaired := s, false
	v, n := validity(cur, false)
	if n == 0 {
		return s, false
	}
	curShare := float64(v) / float64(n)
	// Two rounds undo text that was mis-decoded twice.
	for round := 0; round < 2; round++ {
		candidates := [...]func(string) string{
			func(x string) string { return lenientUTF8(mojibakeBytes(x)) },
			// Text mis-decoded twice only improves after the second undo.
			func(x string) string { return lenientUTF8(mojibakeBytes(lenientUTF8(mojibakeBytes(x)))) },
			func(x string) string { return lenientUTF8(bytes1258(x)) },
			func(x string) string { d, _ := DecodeFontString(x, TCVN3); return d },
			func(x string) string { d, _ := DecodeFontString(x, VNI); return d },
			func(x string) string { d, _ := DecodeFontString(x, VISCII); return d },
		}
		best, bestShare, bestValid := "", curShare, v
		for _, f := range candidates {
			c := norm.NFC.String(f(cur))
			if c == cur {
				continue
			}
			cv, cn := validity(c, false)
			if cn == 0 {
				continue
			}
			if share := float64(cv) / float64(cn); share > bestShare {
				best, bestShare, bestValid = c, share, cv
			}
		}
		if best == "" || bestShare < curShare+0.15 || bestShare < 0.5 || bestValid <= v {
			break
		}
		cur, curShare, v, repaired = best, bestShare, bestValid, true
	}
	if !repaired {
		return s, false
	}
	return cur, true
}

// mojibakeBytes is fontBytes for Windows-1252 readers; U+FFFD, a byte the
// reader could not show, is dropped so that lenientUTF8 guesses it.
func mojibakeBytes(s string) []byte {
	raw := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := inv1252[r]; ok {
			raw = append(raw, b)
		} else if r != utf8.RuneError {
			raw = utf8.AppendRune(raw, r)
		}
	}
	return raw
}
