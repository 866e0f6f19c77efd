package bleveidx

import (
	"fmt"
	"slices"
	"testing"
	"unicode"
	"unicode/utf8"
)

// appendSpansRef is what the tokenizer must cut, written rune by rune: maximal runs of word runes
// (isWordRune, every rune decoded), the digit test on every rune, runs over maxTokenBytes left out. The
// tokenizer has an inline path for Vietnamese letters and tests digits apart; what is indexed must not
// change.
func appendSpansRef(input []byte) (spans []tokenSpan, digits []bool) {
	start, dig := -1, true
	end := func(i int) {
		if start >= 0 && i-start <= maxTokenBytes {
			spans = append(spans, tokenSpan{start, i})
			digits = append(digits, dig)
		}
		start, dig = -1, true
	}
	for i := 0; i < len(input); {
		r, size := decodeRune(input[i:])
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
			dig = dig && unicode.IsDigit(r)
		} else {
			end(i)
		}
		i += size
	}
	end(len(input))
	return spans, digits
}

func checkSpans(t *testing.T, input []byte) {
	t.Helper()
	want, wantDigits := appendSpansRef(input)
	got := appendSpans(nil, input)
	if !slices.Equal(got, want) {
		t.Fatalf("%.100q: spans %.300v, want %.300v", input, got, want)
	}
	for i, sp := range got {
		if d := allDigits(input[sp.start:sp.end]); d != wantDigits[i] {
			t.Fatalf("%.100q: token %q digits %v, want %v", input, input[sp.start:sp.end], d, wantDigits[i])
		}
	}
}

func TestAppendSpansMatchesReference(t *testing.T) {
	checkSpans(t, []byte(readProse(t)))
	for _, s := range []string{"", "a", "Đà Nẵng", "x×y÷z", "COVID-19 H2O ٣٤ a٣ ٣a 2024", "ﬁ ǅ Ⅻ 한국어 русский",
		"e\u0301\u0323 \u036f\u0370", "ɏɐ ȿɀ"} {
		checkSpans(t, []byte(s))
	}
	// Every rune alone and between letters, and every two- and three-byte sequence the inline path looks at,
	// valid or not, at the end of the input or not.
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if utf8.ValidRune(r) {
			checkSpans(t, fmt.Appendf(nil, "%c", r))
			checkSpans(t, fmt.Appendf(nil, "a%cb", r))
		}
	}
	for c0 := 0xC0; c0 <= 0xFF; c0++ {
		for c1 := 0; c1 <= 0xFF; c1++ {
			checkSpans(t, []byte{'a', byte(c0), byte(c1)})
			checkSpans(t, []byte{'a', byte(c0), byte(c1), 'b'})
			checkSpans(t, []byte{'a', 0xE1, byte(c0), byte(c1), 'b'})
			checkSpans(t, []byte{'a', 0xE1, byte(c1), byte(c0)})
		}
	}
}

func FuzzAppendSpans(f *testing.F) {
	for _, s := range []string{"Máy sấy cá cơm", "a\u0301 \xe1\xba", "x×y 2024 ٣٤", "\xc3\x97\xcd\xb0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkSpans(t, b) })
}
