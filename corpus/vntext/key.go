package vntext

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Key is the form used for index terms and queries: Normalize'd, lowercased,
// with the tone mark of every syllable moved to its canonical place (the
// "old" style: "hoà" → "hòa", "thuý" → "thúy", "qúy" → "quý", "gìa" → "già";
// see the package comment). Words that do not parse as Vietnamese syllables
// keep their spelling. NFC(Key(NFD(s))) == Key(s).
func Key(s string) string {
	s = strings.ToLower(Normalize(s))
	if !norm.NFC.IsNormalString(s) {
		s = norm.NFC.String(s) // lowercasing may, rarely, denormalize
	}
	return retone(s, false)
}

// AppendKey appends Key(tok) to dst. tok is one token (a syllable or word
// without spaces). Pure ASCII and precomposed Vietnamese letters are handled
// without allocating; anything else takes the full Key path.
func AppendKey(dst, tok []byte) []byte {
	i := 0
	for i < len(tok) && tok[i] > ' ' && tok[i] < 0x7f {
		i++
	}
	if i == len(tok) {
		for _, c := range tok {
			if c-'A' < 26 {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	if tok[i] < 0x80 {
		return append(dst, Key(string(tok))...) // space or control: Normalize's job
	}
	return appendKeyVN(dst, tok)
}

// appendKeyVN is AppendKey for tokens with non-ASCII bytes. It lowercases
// straight into dst and re-parses only the letter runs whose tone may have
// to move (one tone, two or more vowels). Other scripts are copied
// lowercased when no normalization can touch them; combining marks, spaces,
// controls and the like send the token through Key.
func appendKeyVN(dst, tok []byte) []byte {
	start := len(dst)
	runStart, letters, vowels, tones, foreign := len(dst), 0, 0, 0, false
	for i := 0; i <= len(tok); {
		var info uint16
		r, size, sep := rune(-1), 1, false // r < 0: end of token
		if i < len(tok) {
			c := tok[i]
			if c < 0x80 {
				if c <= ' ' || c == 0x7f {
					return append(dst[:start], Key(string(tok))...)
				}
				r, info = rune(c), asciiInfo[c]
			} else {
				r, size = utf8.DecodeRune(tok[i:])
				info = letterInfo(r)
			}
		}
		i += size
		switch {
		case info != 0:
			if letters == 0 {
				runStart = len(dst)
			}
			letters++
			if v := info & infoVowel; v != 0 {
				vowels++
				t := uint8(info&infoTone) >> 4
				if t != toneNone {
					tones++
				}
				dst = utf8.AppendRune(dst, composed[v][t][0])
			} else {
				dst = utf8.AppendRune(dst, lowerConsonant(r, info))
			}
			continue
		case r >= 0x80:
			lr, ok := plainRune(r)
			if !ok {
				return append(dst[:start], Key(string(tok))...)
			}
			if unicode.IsLetter(lr) || unicode.IsMark(lr) {
				letters++ // a foreign letter: Key leaves this run alone
				foreign = true
				dst = utf8.AppendRune(dst, lr)
				continue
			}
			r, sep = lr, true // a symbol may have a case too (Ⓜ → ⓜ)
		}
		if !foreign && tones == 1 && vowels >= 2 && letters <= maxSyllable {
			dst = fixRun(dst, runStart)
		}
		letters, vowels, tones, foreign = 0, 0, 0, false
		switch {
		case sep:
			dst = utf8.AppendRune(dst, r)
		case r >= 0:
			dst = append(dst, byte(r))
		}
	}
	return dst
}

// plainRune reports whether r and its lowercase lr pass through Normalize,
// NFC, NFD and Fold unchanged and cannot combine with the rune before them,
// so that the fast paths may copy lr as it is.
func plainRune(r rune) (rune, bool) {
	if r == utf8.RuneError || r >= 0x0300 && r <= 0x036f {
		return 0, false
	}
	lr := unicode.ToLower(r)
	var rep Report
	var b [utf8.UTFMax]byte
	for _, x := range [2]rune{r, lr} {
		if y, cls := classify(x, &rep); cls != clsOther || y != x {
			return 0, false
		}
		// Without a canonical decomposition a lone rune is NFC, NFD and
		// unchanged by Fold; BoundaryBefore rules out composing with the
		// rune before it.
		n := utf8.EncodeRune(b[:], x)
		if !norm.NFC.Properties(b[:n]).BoundaryBefore() || norm.NFD.Properties(b[:n]).Decomposition() != nil {
			return 0, false
		}
	}
	return lr, true
}

// fixRun moves the tone of the lowercase letter run dst[from:] to its
// canonical place.
func fixRun(dst []byte, from int) []byte {
	var buf [maxSyllable]slot
	ls := buf[:0]
	for j := from; j < len(dst); {
		r, size := utf8.DecodeRune(dst[j:])
		ls = append(ls, makeSlot(r, letterInfo(r)))
		j += size
	}
	t := toneSlot(ls)
	fixTone(ls, false)
	if toneSlot(ls) == t {
		return dst
	}
	dst = dst[:from]
	for _, sl := range ls {
		dst = utf8.AppendRune(dst, sl.rune())
	}
	return dst
}

// fixTone moves the tone of one syllable: to the canonical place, or, with
// swap, to the other style's place when the two styles differ.
func fixTone(ls []slot, swap bool) {
	from := toneSlot(ls)
	if from < 0 {
		return
	}
	p, ok := parseSyllable(ls)
	if !ok {
		return
	}
	to := toneTarget(ls, p, false)
	if swap {
		alt := toneTarget(ls, p, true)
		switch from {
		case to:
			to = alt
		case alt:
		default:
			return // neither style: leave the author's spelling
		}
	}
	if to != from {
		ls[to].tone, ls[from].tone = ls[from].tone, toneNone
	}
}

// retone applies fixTone to every run of letters in s (NFC). Runs holding a
// letter outside the Vietnamese alphabet or a combining mark are left alone.
func retone(s string, swap bool) string {
	var out []byte // allocated on the first change
	copied, runStart := 0, -1
	for i := 0; i <= len(s); {
		size, inRun := 0, false
		if i < len(s) {
			var r rune
			r, size = utf8.DecodeRuneInString(s[i:])
			inRun = unicode.IsLetter(r) || unicode.IsMark(r)
		}
		if inRun {
			if runStart < 0 {
				runStart = i
			}
			i += size
			continue
		}
		if runStart >= 0 {
			var buf [maxSyllable + 1]slot
			if ls, changed := retoneRun(buf[:0], s[runStart:i], swap); changed {
				if out == nil {
					out = make([]byte, 0, len(s)+8)
				}
				out = append(out, s[copied:runStart]...)
				for _, sl := range ls {
					out = utf8.AppendRune(out, sl.rune())
				}
				copied = i
			}
			runStart = -1
		}
		if i == len(s) {
			break
		}
		i += size
	}
	if out == nil {
		return s
	}
	return string(append(out, s[copied:]...))
}

// retoneRun parses one run of letters and reports whether its tone moved.
func retoneRun(ls []slot, run string, swap bool) ([]slot, bool) {
	for _, r := range run {
		info := letterInfo(r)
		if info == 0 || len(ls) == cap(ls) {
			return ls, false
		}
		ls = append(ls, makeSlot(r, info))
	}
	from := toneSlot(ls)
	if from < 0 {
		return ls, false
	}
	fixTone(ls, swap)
	return ls, toneSlot(ls) != from
}

// SwapTonePlacement rewrites each syllable's tone into the other placement
// style ("hòa" ↔ "hoà", "thúy" ↔ "thuý", "khỏe" ↔ "khoẻ"), leaving syllables
// where the styles agree unchanged. It keeps case; the result is normalized
// (Normalize) first, so that its syllables are the ones Key sees: a control
// character inside a word is dropped, not taken as a syllable break.
func SwapTonePlacement(s string) string {
	return retone(Normalize(s), true)
}
