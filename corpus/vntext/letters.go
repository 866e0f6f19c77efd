package vntext

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Vowel indices; 0 means "not a vowel".
const (
	vA uint8 = 1 + iota
	vAw
	vAa
	vE
	vEe
	vI
	vO
	vOo
	vOw
	vU
	vUw
	vY
	numVowels = 12
)

// Tone indices, in the order of the combining marks below.
const (
	toneNone uint8 = iota
	toneGrave
	toneAcute
	toneHook
	toneTilde
	toneDot
	numTones = 6
)

var (
	vowelLower = [numVowels + 1]rune{0, 'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'}
	vowelUpper = [numVowels + 1]rune{0, 'A', 'Ă', 'Â', 'E', 'Ê', 'I', 'O', 'Ô', 'Ơ', 'U', 'Ư', 'Y'}
	// ASCII base of each vowel, for folding.
	vowelFold = [numVowels + 1]byte{0, 'a', 'a', 'a', 'e', 'e', 'i', 'o', 'o', 'o', 'u', 'u', 'y'}
	toneMark  = [numTones]rune{0, '\u0300', '\u0301', '\u0309', '\u0303', '\u0323'}
)

// Letter info bits packed in a uint16 so the lookup tables stay small and hot.
const (
	infoVowel  = 0x000f // vowel index
	infoTone   = 0x0070 // tone << 4
	infoUpper  = 0x0080
	infoLetter = 0x0100 // a letter of the Vietnamese alphabet or ASCII
	infoDStrk  = 0x0200 // đ/Đ, and Ð/ð mistaken for it
	infoEth    = 0x0400 // U+00D0/U+00F0
	latBase    = 0x00c0
	latEnd     = 0x01b4
	extBase    = 0x1ea0
	extEnd     = 0x1efa
)

// Read-only lookup tables. They are built by functions so that Go's
// initialization order (by dependency) has them ready for the other tables.
var (
	// composed[vowel][tone][upper] is the precomposed NFC letter.
	composed                    = buildComposed()
	asciiInfo, latInfo, extInfo = buildInfo()
)

func buildComposed() (c [numVowels + 1][numTones][2]rune) {
	for v := uint8(1); v <= numVowels; v++ {
		for t := uint8(0); t < numTones; t++ {
			for u, base := range [2]rune{vowelLower[v], vowelUpper[v]} {
				r := base
				if t != toneNone {
					s := norm.NFC.String(string(base) + string(toneMark[t]))
					var size int
					r, size = utf8.DecodeRuneInString(s)
					if size != len(s) {
						panic("vntext: không có dạng dựng sẵn cho " + s)
					}
				}
				c[v][t][u] = r
			}
		}
	}
	return c
}

func buildInfo() (ascii [128]uint16, lat [latEnd - latBase]uint16, ext [extEnd - extBase]uint16) {
	set := func(r rune, info uint16) {
		switch {
		case r < 0x80:
			ascii[r] = info
		case r >= latBase && r < latEnd:
			lat[r-latBase] = info
		case r >= extBase && r < extEnd:
			ext[r-extBase] = info
		default:
			panic("vntext: chữ cái nằm ngoài bảng tra")
		}
	}
	for c := 'a'; c <= 'z'; c++ {
		set(c, infoLetter)
		set(c-'a'+'A', infoLetter|infoUpper)
	}
	for v := uint8(1); v <= numVowels; v++ {
		for t := uint8(0); t < numTones; t++ {
			for u := 0; u < 2; u++ {
				info := infoLetter | uint16(v) | uint16(t)<<4
				if u == 1 {
					info |= infoUpper
				}
				set(composed[v][t][u], info)
			}
		}
	}
	set('đ', infoLetter|infoDStrk)
	set('Đ', infoLetter|infoDStrk|infoUpper)
	set('ð', infoLetter|infoDStrk|infoEth)
	set('Ð', infoLetter|infoDStrk|infoEth|infoUpper)
	return ascii, lat, ext
}

// letterInfo returns the packed info of r, or 0 when r is not a letter of the
// Vietnamese alphabet (ASCII letters included).
func letterInfo(r rune) uint16 {
	switch {
	case r < 0x80:
		if r < 0 {
			return 0
		}
		return asciiInfo[r]
	case r >= latBase && r < latEnd:
		return latInfo[r-latBase]
	case r >= extBase && r < extEnd:
		return extInfo[r-extBase]
	}
	return 0
}

// slot is one letter of a syllable being analysed.
type slot struct {
	r     rune  // the letter as written (or lowercased, for keys)
	v     uint8 // vowel index, 0 for consonants
	tone  uint8
	upper bool
	c     byte // lowercase ASCII consonant, 'D' for đ, 0 for vowels
}

func makeSlot(r rune, info uint16) slot {
	s := slot{r: r, v: uint8(info & infoVowel), tone: uint8(info&infoTone) >> 4, upper: info&infoUpper != 0}
	if s.v == 0 {
		if info&infoDStrk != 0 {
			s.c = 'D'
		} else {
			s.c = byte(r) | 0x20
		}
	}
	return s
}

// rune returns the letter with its current vowel, tone and case.
func (s slot) rune() rune {
	if s.v == 0 {
		return s.r
	}
	u := 0
	if s.upper {
		u = 1
	}
	return composed[s.v][s.tone][u]
}

// lowerConsonant lowercases a consonant letter from the tables, mapping the
// eth look-alikes to đ as Normalize does.
func lowerConsonant(r rune, info uint16) rune {
	if info&infoDStrk != 0 {
		return 'đ'
	}
	if r < 0x80 && info&infoUpper != 0 {
		return r + ('a' - 'A')
	}
	return r
}
