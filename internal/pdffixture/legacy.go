package pdffixture

import (
	"fmt"
	"maps"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus/vntext"
)

// legacyEncoder writes NFC text in a legacy Vietnamese byte encoding (TCVN3, VNI). vntext only decodes,
// so the encoder is its inverse, found by decoding every byte and every byte pair: whatever vntext reads
// back as one character is how that character is written. A round trip through vntext.Decode is
// therefore exact by construction, and the tables stay in one place (corpus/vntext/tables).
type legacyEncoder struct {
	enc   vntext.Encoding
	codes map[rune][]byte
}

var legacyEncoders sync.Map // vntext.Encoding → *legacyEncoder

func newLegacyEncoder(enc vntext.Encoding) (*legacyEncoder, error) {
	if e, ok := legacyEncoders.Load(enc); ok {
		return e.(*legacyEncoder), nil
	}
	e := &legacyEncoder{enc: enc, codes: map[rune][]byte{}}
	one := func(s string) (rune, bool) {
		r, n := utf8.DecodeRuneInString(s)
		return r, n > 0 && n == len(s) && r != utf8.RuneError
	}
	for c := 0; c < 256; c++ {
		s, lost, err := vntext.Decode([]byte{byte(c)}, enc)
		if err != nil {
			return nil, err
		}
		if r, ok := one(s); ok && lost == 0 {
			if _, seen := e.codes[r]; !seen {
				e.codes[r] = []byte{byte(c)}
			}
		}
	}
	// Pairs: a base letter and a mark byte (VNI writes most toned letters so). VNI has each mark twice,
	// the capital's byte 0x20 below the small letter's, and vntext reads both; write what VNI fonts
	// expect: the lower byte after a capital, the higher after a small letter. Singles win over pairs.
	pairs := map[rune][]byte{}
	for c1 := 0; c1 < 256; c1++ {
		for c2 := 0x80; c2 < 256; c2++ {
			s, lost, _ := vntext.Decode([]byte{byte(c1), byte(c2)}, enc)
			r, ok := one(s)
			if !ok || lost != 0 {
				continue
			}
			if _, single := e.codes[r]; single {
				continue
			}
			if old, seen := pairs[r]; !seen || unicode.IsLower(r) && old[0] == byte(c1) && byte(c2) > old[1] {
				pairs[r] = []byte{byte(c1), byte(c2)}
			}
		}
	}
	maps.Copy(e.codes, pairs)
	if len(e.codes) < 200 {
		return nil, fmt.Errorf("pdffixture: encoding %q has only %d characters", enc, len(e.codes))
	}
	v, _ := legacyEncoders.LoadOrStore(enc, e)
	return v.(*legacyEncoder), nil
}

// Encode writes s (NFC) in the encoding, or fails on a character the encoding lacks (TCVN3 has no
// uppercase toned letters: .VnTime documents set those in the all-caps .VnTimeH).
func (e *legacyEncoder) Encode(s string) ([]byte, error) {
	var out []byte
	for _, r := range norm.NFC.String(s) {
		c, ok := e.codes[r]
		if !ok {
			return nil, fmt.Errorf("pdffixture: %q cannot be written in %s", r, e.enc)
		}
		out = append(out, c...)
	}
	return out, nil
}

// EncodeLegacy writes NFC text in a legacy Vietnamese encoding (vntext.TCVN3, vntext.VNI, VISCII,
// CP1258), the inverse of vntext.Decode.
func EncodeLegacy(s string, enc vntext.Encoding) ([]byte, error) {
	e, err := newLegacyEncoder(enc)
	if err != nil {
		return nil, err
	}
	return e.Encode(s)
}
