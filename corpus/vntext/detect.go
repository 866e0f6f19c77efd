package vntext

import "unicode/utf8"

// detectSample bounds the bytes Detect looks at.
const detectSample = 64 << 10

// Detect picks the most likely encoding of raw bytes: valid, Vietnamese-
// looking UTF-8 → UTF8; otherwise each legacy decoder is tried and the one
// giving the largest share of valid Vietnamese syllables among the words it
// decodes with non-ASCII letters wins. The confidence is in [0,1]. Pure
// ASCII is reported as UTF8 with confidence 1.
func Detect(b []byte) (Encoding, float64) {
	if len(b) > detectSample {
		b = b[:detectSample]
		// Do not let the cut split a UTF-8 sequence.
		for k := 0; k < 3 && len(b) > 0 && !utf8.Valid(b) && b[len(b)-1] >= 0x80; k++ {
			b = b[:len(b)-1]
		}
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return UTF8, 1
	}
	validUTF8 := utf8.Valid(b)
	utfScore := -1.0
	if validUTF8 {
		utfScore = legacyScore(b, UTF8)
		if utfScore >= 0.5 {
			return UTF8, 0.8 + 0.2*utfScore
		}
	}
	best, bestScore, second := Latin1, 0.2, 0.0 // Western text: nothing decodes as Vietnamese
	// Windows-1252 first, so that it wins a tie: Western text reads as well in VISCII or Windows-1258, which
	// share most accented Latin-1 letters with it, and only Windows-1252 keeps its other letters (ü, ß, œ).
	for _, enc := range [...]Encoding{Latin1, TCVN3, VNI, VISCII, CP1258} {
		sc := legacyScore(b, enc)
		if sc > bestScore {
			best, bestScore, second = enc, sc, max(second, bestScore)
		} else {
			second = max(second, sc)
		}
	}
	if validUTF8 && bestScore < utfScore+0.3 {
		return UTF8, 0.6 + 0.2*utfScore
	}
	return best, clamp01(bestScore - second/2)
}

// legacyScore is the share of valid syllables among the words with
// non-ASCII letters once b is decoded, undefined bytes counting as invalid.
func legacyScore(b []byte, enc Encoding) float64 {
	s, lost, err := Decode(b, enc)
	if err != nil {
		return 0
	}
	v, n := validity(s, true)
	if n+lost == 0 {
		return 0
	}
	return float64(v) / float64(n+lost)
}

func clamp01(x float64) float64 {
	return min(1, max(0, x))
}
