package vntext

// Syllable structure: onset consonants, a vowel cluster of one to three
// vowels, and an optional final consonant. The parse is shared by Key (tone
// placement), SwapTonePlacement and SyllableValidity.

const maxSyllable = 7 // "nghiêng" is the longest Vietnamese syllable

// sylParse holds slot indices: onset is [0,vs), vowels [vs,ve), coda [ve,n).
// With the qu and gi onsets the u/i letter belongs to the onset.
type sylParse struct {
	vs, ve int
	qu, gi bool
}

func isMarkedVowel(v uint8) bool {
	return v == vAw || v == vAa || v == vEe || v == vOo || v == vOw || v == vUw
}

// parseSyllable splits ls into onset, vowels and coda, checking only that the
// consonant clusters are possible Vietnamese ones; rhyme checks are left to
// validSyllable.
func parseSyllable(ls []slot) (p sylParse, ok bool) {
	n := len(ls)
	if n == 0 || n > maxSyllable {
		return p, false
	}
	i := 0
	for i < n && ls[i].v == 0 {
		i++
	}
	if i == n || !onsetOK(ls[:i]) {
		return p, false
	}
	// gi and qu onsets swallow their vowel letter when another vowel follows.
	if i+1 < n && ls[i+1].v != 0 {
		if i == 1 && ls[0].c == 'g' && ls[i].v == vI {
			p.gi = true
			i++
		} else if i == 1 && ls[0].c == 'q' && ls[i].v == vU {
			p.qu = true
			i++
		}
	}
	p.vs = i
	for i < n && ls[i].v != 0 {
		i++
	}
	p.ve = i
	if nv := p.ve - p.vs; nv < 1 || nv > 3 {
		return p, false
	}
	if codaBits(ls[p.ve:]) == 0 {
		return p, false
	}
	return p, true
}

func onsetOK(c []slot) bool {
	switch len(c) {
	case 0:
		return true
	case 1:
		switch c[0].c {
		case 'b', 'c', 'd', 'D', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'q', 'r', 's', 't', 'v', 'x',
			'f', 'j', 'w', 'z': // loanword onsets
			return true
		}
	case 2:
		a, b := c[0].c, c[1].c
		switch {
		case b == 'h':
			switch a {
			case 'c', 'g', 'k', 'n', 'p', 't':
				return true
			}
		case a == 'n' && b == 'g', a == 't' && b == 'r':
			return true
		}
	case 3:
		return c[0].c == 'n' && c[1].c == 'g' && c[2].c == 'h'
	}
	return false
}

// Final-consonant bits; codaOpen marks an open syllable.
const (
	codaC uint16 = 1 << iota
	codaCh
	codaM
	codaN
	codaNg
	codaNh
	codaP
	codaT
	codaOpen
	codaStop = codaC | codaCh | codaP | codaT
)

// codaBits returns the bit of the final consonant cluster, 0 if impossible.
func codaBits(c []slot) uint16 {
	switch len(c) {
	case 0:
		return codaOpen
	case 1:
		switch c[0].c {
		case 'c':
			return codaC
		case 'm':
			return codaM
		case 'n':
			return codaN
		case 'p':
			return codaP
		case 't':
			return codaT
		}
	case 2:
		switch {
		case c[0].c == 'c' && c[1].c == 'h':
			return codaCh
		case c[0].c == 'n' && c[1].c == 'g':
			return codaNg
		case c[0].c == 'n' && c[1].c == 'h':
			return codaNh
		}
	}
	return 0
}

// toneTarget returns the index of the vowel that carries the tone in the
// given style (newStyle: "hoà", "thuý"; otherwise "hòa", "thúy").
func toneTarget(ls []slot, p sylParse, newStyle bool) int {
	last := -1
	for i := p.vs; i < p.ve; i++ {
		if isMarkedVowel(ls[i].v) {
			last = i
		}
	}
	switch nv := p.ve - p.vs; {
	case last >= 0:
		return last // ươ → ơ, uô → ô, iê/yê → ê, ưa → ư
	case p.ve < len(ls):
		return p.ve - 1 // closed syllable: hoàn, thuận, quýt
	case nv == 3:
		return p.vs + 1 // oai, uya, uyu
	case nv == 2:
		if newStyle {
			a, b := ls[p.vs].v, ls[p.vs+1].v
			if (a == vO && (b == vA || b == vE)) || (a == vU && b == vY) {
				return p.vs + 1
			}
		}
		return p.vs
	}
	return p.vs
}

// toneSlot returns the index of the only toned letter, -1 if there is none
// and -2 if there are several.
func toneSlot(ls []slot) int {
	at := -1
	for i := range ls {
		if ls[i].tone != toneNone {
			if at >= 0 {
				return -2
			}
			at = i
		}
	}
	return at
}

// rhymes maps a packed vowel cluster (see packVowels) to its allowed finals.
// Read-only.
var rhymes = buildRhymes()

func buildRhymes() map[uint16]uint16 {
	// The valid vowel clusters with the finals they allow (simplified from
	// the standard descriptions of Vietnamese phonotactics).
	rhymeList := []struct {
		v     string
		codas uint16
	}{
		{"a", codaOpen | codaC | codaCh | codaM | codaN | codaNg | codaNh | codaP | codaT},
		{"ă", codaC | codaM | codaN | codaNg | codaP | codaT},
		{"â", codaC | codaM | codaN | codaNg | codaP | codaT},
		{"e", codaOpen | codaC | codaM | codaN | codaNg | codaP | codaT},
		{"ê", codaOpen | codaCh | codaM | codaN | codaNh | codaP | codaT},
		{"i", codaOpen | codaCh | codaM | codaN | codaNh | codaP | codaT},
		{"o", codaOpen | codaC | codaM | codaN | codaNg | codaP | codaT},
		{"ô", codaOpen | codaC | codaM | codaN | codaNg | codaP | codaT},
		{"ơ", codaOpen | codaM | codaN | codaP | codaT},
		{"u", codaOpen | codaC | codaM | codaN | codaNg | codaP | codaT},
		{"ư", codaOpen | codaC | codaM | codaN | codaNg | codaT},
		{"y", codaOpen},
		{"ai", codaOpen}, {"ao", codaOpen}, {"au", codaOpen}, {"ay", codaOpen},
		{"âu", codaOpen}, {"ây", codaOpen}, {"eo", codaOpen}, {"êu", codaOpen},
		{"ia", codaOpen}, {"iu", codaOpen}, {"oi", codaOpen}, {"ôi", codaOpen},
		{"ơi", codaOpen}, {"ui", codaOpen}, {"ưi", codaOpen}, {"ưu", codaOpen},
		{"ua", codaOpen}, {"ưa", codaOpen}, {"uơ", codaOpen},
		{"oa", codaOpen | codaC | codaCh | codaM | codaN | codaNg | codaNh | codaP | codaT},
		{"oă", codaC | codaM | codaN | codaNg | codaT},
		{"oe", codaOpen | codaN | codaT},
		{"oo", codaC | codaNg},
		{"uâ", codaN | codaNg | codaT},
		{"uê", codaOpen | codaCh | codaNh},
		{"uy", codaOpen | codaCh | codaN | codaNh | codaT},
		{"uô", codaC | codaM | codaN | codaNg | codaT},
		{"ươ", codaC | codaM | codaN | codaNg | codaP | codaT},
		{"iê", codaC | codaM | codaN | codaNg | codaP | codaT},
		{"yê", codaM | codaN | codaNg | codaT},
		{"iêu", codaOpen}, {"yêu", codaOpen}, {"oai", codaOpen}, {"oay", codaOpen},
		{"oeo", codaOpen}, {"uây", codaOpen}, {"uôi", codaOpen}, {"uya", codaOpen},
		{"uyu", codaOpen}, {"ươi", codaOpen}, {"ươu", codaOpen},
		{"uyê", codaN | codaT},
	}
	m := make(map[uint16]uint16, len(rhymeList))
	for _, r := range rhymeList {
		var k uint16
		for _, c := range r.v {
			k = k<<4 | letterInfo(c)&infoVowel
		}
		m[k] = r.codas
	}
	return m
}

func packVowels(ls []slot) uint16 {
	var k uint16
	for _, s := range ls {
		k = k<<4 | uint16(s.v)
	}
	return k
}

// frontVowel reports whether v is one of the vowels that select k/gh/ngh.
func frontVowel(v uint8) bool { return v == vI || v == vE || v == vEe || v == vY }

// validSyllable checks onset, rhyme, spelling and tone constraints.
func validSyllable(ls []slot) bool {
	if toneSlot(ls) == -2 {
		return false
	}
	p, ok := parseSyllable(ls)
	if !ok {
		return false
	}
	coda := codaBits(ls[p.ve:])
	k := packVowels(ls[p.vs:p.ve])
	allowed := rhymes[k]
	switch {
	case p.qu:
		// qu + a/ă/e is the oa/oă/oe rhyme; qu + y/ê/â the uy/uê/uâ one.
		allowed |= rhymes[uint16(vO)<<(4*(p.ve-p.vs))|k] | rhymes[uint16(vU)<<(4*(p.ve-p.vs))|k]
	case p.gi:
		allowed |= rhymes[uint16(vI)<<(4*(p.ve-p.vs))|k] // giếng = gi + (i)êng
	}
	if allowed&coda == 0 {
		return false
	}
	if coda&codaStop != 0 {
		t := toneNone
		if i := toneSlot(ls); i >= 0 {
			t = ls[i].tone
		}
		if t != toneAcute && t != toneDot {
			return false
		}
	}
	// Spelling rules for k/c, gh/g, ngh/ng before front vowels.
	if p.vs > 0 && !p.gi && !p.qu {
		front := frontVowel(ls[p.vs].v)
		on := ls[:p.vs]
		switch {
		case len(on) == 1 && on[0].c == 'k', len(on) == 2 && on[0].c == 'g' && on[1].c == 'h',
			len(on) == 3:
			return front
		case len(on) == 1 && on[0].c == 'c', len(on) == 2 && on[0].c == 'n' && on[1].c == 'g':
			return !front
		case len(on) == 1 && on[0].c == 'g':
			return ls[p.vs].v != vE && ls[p.vs].v != vEe
		case len(on) == 1 && on[0].c == 'q':
			return false
		}
	}
	return true
}
