package extract

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// QualityGood is the score at which the ladder stops climbing.
const QualityGood = 0.9

// minLetters is the count under which a page has "almost no text" and is an OCR candidate.
const minLetters = 20

// TextQuality scores extracted text in [0, 1] and says what lowered it. It looks for the marks of a bad
// extraction, not for good Vietnamese: words split by a font switch ("su ấ t": lowercase tokens without a
// vowel), lost spaces (overlong tokens), U+FFFD, private-use and control characters (a font without a
// usable ToUnicode), and legacy-font mojibake (symbols or non-Vietnamese Latin letters inside words:
// "B¶o ®¶m", "haøng ngöôøi").
func TextQuality(s string) (float64, string) {
	var tokens, bad, overlong, letters int
	var junk int // U+FFFD, private use, controls
	for _, r := range s {
		switch {
		case r == utf8.RuneError || (r >= 0xE000 && r <= 0xF8FF) || (unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'):
			junk++
		case unicode.IsLetter(r):
			letters++
		}
	}
	if letters == 0 {
		return 0, "không có chữ"
	}
	var noVowel, mojibake int
	for rest := s; rest != ""; {
		// The next whitespace-separated field, without allocating a slice of them all.
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		end := strings.IndexFunc(rest, unicode.IsSpace)
		if end < 0 {
			end = len(rest)
		}
		tok := strings.TrimFunc(rest[:end], func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		rest = rest[end:]
		if tok == "" {
			continue
		}
		tokens++
		n := utf8.RuneCountInString(tok)
		switch {
		case n > 24 && !strings.ContainsAny(tok, "/-_.@:"):
			overlong++
			bad += 3 // a lost-space token stands for several words
		case tokenMojibake(tok):
			mojibake++
			bad++
		case tokenSplit(tok):
			noVowel++
			bad++
		}
	}
	if tokens == 0 {
		return 0, "không có từ"
	}
	q := 1 - float64(bad)/float64(tokens) - 3*float64(junk)/float64(letters+junk)
	q = max(0, min(1, q))
	var why []string
	if noVowel > 0 {
		why = append(why, fmt.Sprintf("%d từ không có nguyên âm", noVowel))
	}
	if overlong > 0 {
		why = append(why, fmt.Sprintf("%d từ quá dài (mất dấu cách)", overlong))
	}
	if mojibake > 0 {
		why = append(why, fmt.Sprintf("%d từ lỗi mã phông", mojibake))
	}
	if junk > 0 {
		why = append(why, fmt.Sprintf("%d ký tự không giải mã được", junk))
	}
	return q, strings.Join(why, ", ")
}

// tokenSplit reports a lowercase letter token without a vowel: the debris of a word cut by a font switch.
// Capitalised abbreviations (UBND, KHCN, TP) are fine.
func tokenSplit(tok string) bool {
	hasLower := false
	for _, r := range tok {
		if !unicode.IsLetter(r) {
			return false
		}
		if unicode.IsLower(r) {
			hasLower = true
		}
		if isVowel(r) {
			return false
		}
	}
	return hasLower
}

// tokenMojibake reports a word with a symbol or a non-Vietnamese Latin letter between letters.
func tokenMojibake(tok string) bool {
	letter := false
	for _, r := range tok {
		switch {
		case r < 0x80:
			letter = letter || unicode.IsLetter(r)
		case unicode.IsLetter(r):
			if unicode.Is(unicode.Latin, r) && !vntext.HasDiacritics(string(r)) && r != 'đ' && r != 'Đ' {
				return true // ø ö ü ñ ç ß: not in the Vietnamese alphabet
			}
			if !unicode.Is(unicode.Latin, r) {
				continue // another script is not our business here
			}
			letter = true
		case unicode.IsMark(r):
		default:
			if letter {
				return true // ¶ ® µ inside a word
			}
		}
	}
	return false
}

// vowelTable marks the runes below U+1E00 whose folded form is a vowel: built once, since folding a
// rune at a time allocates and TextQuality runs on every page.
var vowelTable = func() (t [0x1E00]bool) {
	for r := rune(0); r < 0x1E00; r++ {
		if !unicode.IsLetter(r) {
			continue
		}
		f := vntext.Fold(string(unicode.ToLower(r)))
		t[r] = f != "" && strings.ContainsRune("aeiouy", rune(f[0]))
	}
	return t
}()

func isVowel(r rune) bool {
	if r < 0x1E00 {
		return vowelTable[r]
	}
	// Latin Extended Additional holds the toned Vietnamese vowels (ạ ả ấ ... ỹ) from U+1EA0 on.
	return r >= 0x1EA0 && r <= 0x1EF9
}

// countLetters counts letters, the measure of "almost no text".
func countLetters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}
