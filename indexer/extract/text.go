package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// ExtractText reads a plain text file as one page: UTF-8 (with or without BOM), UTF-16 LE/BE (with a
// BOM, or recognised by its NUL bytes), or, when the bytes are not valid UTF-8, a legacy 8-bit
// encoding picked by vntext.Detect (TCVN3, VNI-Windows, VISCII, Windows-1258, Windows-1252). Unicode
// lines that are mojibake (UTF-8 read as Windows-1252, legacy font bytes shown as Latin-1) are
// repaired. Bytes without a Unicode equivalent give a WarnLossyEncoding warning. The text is NFC
// (vntext.Normalize); Page.Encoding names what it was converted from.
func ExtractText(b []byte) (*Document, error) {
	s, enc, lost := textDecode(b)
	c := textConverter{}
	c.lost = lost
	legacy := enc != "" && !strings.HasPrefix(enc, "utf-16")
	lines := strings.Split(s, "\n")
	paras := make([]textPara, len(lines))
	for i, l := range lines {
		paras[i] = textPara{text: l, converted: legacy}
	}
	if legacy {
		c.count(enc, utf8.RuneCountInString(s))
	}
	doc := &Document{Format: FormatText}
	if err := c.finish(doc, paras); err != nil {
		return nil, err
	}
	if doc.Pages[0].Encoding == "" {
		doc.Pages[0].Encoding = enc
	}
	return doc, nil
}

// textDecode turns the file's bytes into a string. enc names the encoding converted from ("" for
// UTF-8); lost counts bytes or code units without a Unicode equivalent.
func textDecode(b []byte) (s, enc string, lost int) {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		s, lost, _ = vntext.Decode(b[3:], vntext.UTF8)
		return s, "", lost
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		s, lost = textDecodeUTF16(b[2:], false)
		return s, "utf-16le", lost
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		s, lost = textDecodeUTF16(b[2:], true)
		return s, "utf-16be", lost
	}
	switch textUTF16Guess(b) {
	case "le":
		s, lost = textDecodeUTF16(b, false)
		return s, "utf-16le", lost
	case "be":
		s, lost = textDecodeUTF16(b, true)
		return s, "utf-16be", lost
	}
	if utf8.Valid(b) {
		return string(b), "", 0 // mojibake inside is repaired line by line later
	}
	e, _ := vntext.Detect(b)
	s, lost, err := vntext.Decode(b, e)
	if err != nil || e == vntext.UTF8 {
		s, lost, _ = vntext.Decode(b, vntext.UTF8)
		return s, "", lost
	}
	if e != vntext.Latin1 {
		// Western text scores the same in VISCII or Windows-1258, which share most accented Latin-1
		// letters with it. Detect prefers Windows-1252 on a tie in its sample; here the whole text decides.
		if w, wl, _ := vntext.Decode(b, vntext.Latin1); wl <= lost &&
			vntext.SyllableValidity(w) >= vntext.SyllableValidity(s) {
			return w, string(vntext.Latin1), wl
		}
	}
	return s, string(e), lost
}

// textUTF16Guess recognises UTF-16 without a BOM: ASCII and Latin-1 characters leave a NUL in the high
// byte of most code units, always on the same side, while the low bytes are rarely NUL.
func textUTF16Guess(b []byte) string {
	n := min(len(b), 8192) &^ 1
	if n < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	units := n / 2
	switch {
	case odd*10 >= units*3 && even*20 < units:
		return "le"
	case even*10 >= units*3 && odd*20 < units:
		return "be"
	}
	return ""
}

// textDecodeUTF16 decodes UTF-16 code units; unpaired surrogates and an odd last byte count as lost.
func textDecodeUTF16(b []byte, bigEndian bool) (string, int) {
	lost := len(b) & 1
	unit := func(i int) rune {
		if bigEndian {
			return rune(b[i])<<8 | rune(b[i+1])
		}
		return rune(b[i+1])<<8 | rune(b[i])
	}
	var sb strings.Builder
	sb.Grow(len(b))
	for i := 0; i+1 < len(b); i += 2 {
		r := unit(i)
		if utf16.IsSurrogate(r) {
			if r < 0xDC00 && i+3 < len(b) {
				if d := utf16.DecodeRune(r, unit(i+2)); d != utf8.RuneError {
					sb.WriteRune(d)
					i += 2
					continue
				}
			}
			lost++
			r = utf8.RuneError
		}
		sb.WriteRune(r)
	}
	return sb.String(), lost
}

// textSeg is a stretch of a paragraph in one font (DOCX runs, ODT spans), before legacy conversion.
type textSeg struct {
	text []byte
	font string
	caps bool // shown in capitals (w:caps)
}

// textAppendSeg appends text, merging it into the last segment when the font and caps match, so a VNI
// letter split over two runs (base letter, then its mark byte) is converted whole.
func textAppendSeg(segs []textSeg, text, font string, caps bool) []textSeg {
	if n := len(segs); n > 0 && segs[n-1].font == font && segs[n-1].caps == caps {
		segs[n-1].text = append(segs[n-1].text, text...)
		return segs
	}
	return append(segs, textSeg{text: []byte(text), font: font, caps: caps})
}

// textPara is a finished paragraph (one line of output); converted says its text came out of a legacy
// conversion already, so the statistical repair leaves it alone.
type textPara struct {
	text      string
	converted bool
}

// textConverter converts legacy-font text and tallies, over one document, the characters converted
// per encoding and the bytes lost.
type textConverter struct {
	lost int
	enc  map[string]int
}

func (c *textConverter) count(enc string, n int) {
	if c.enc == nil {
		c.enc = map[string]int{}
	}
	c.enc[enc] += n
}

// para joins a paragraph's segments, converting those in a legacy Vietnamese font (by
// vntext.FontEncoding) unless the segment holds real Unicode letters or the conversion lowers the
// share of valid syllables; all-caps TCVN3 fonts (.VnTimeH) and caps formatting are uppercased.
func (c *textConverter) para(segs []textSeg) textPara {
	var sb strings.Builder
	converted := false
	for _, s := range segs {
		t := string(s.text)
		if enc := vntext.FontEncoding(s.font); enc != "" && !docxUnicodeLetters(t) {
			d, lost := vntext.DecodeFontString(t, enc)
			if vntext.SyllableValidity(d) >= vntext.SyllableValidity(t) {
				if d != t {
					converted = true
					c.count(string(enc), utf8.RuneCountInString(t))
				}
				c.lost += lost
				t = d
				if vntext.FontUppercase(s.font) {
					t = strings.ToUpper(t)
				}
			}
		}
		if s.caps {
			t = strings.ToUpper(t)
		}
		sb.WriteString(t)
	}
	return textPara{text: sb.String(), converted: converted}
}

// textRepairLabel names what a repaired paragraph was converted from.
func textRepairLabel(orig, fixed string) string {
	for _, enc := range [...]vntext.Encoding{vntext.TCVN3, vntext.VNI, vntext.VISCII} {
		if d, _ := vntext.DecodeFontString(orig, enc); d == fixed {
			return string(enc)
		}
	}
	return "mojibake"
}

// finish repairs mojibake paragraphs, joins the paragraphs as lines, normalizes the text and makes
// it doc's single page, with the dominant encoding and a warning for lost bytes. A text without a
// letter or digit is ReasonNoText.
func (c *textConverter) finish(doc *Document, paras []textPara) error {
	var sb strings.Builder
	for i, p := range paras {
		if i > 0 {
			sb.WriteByte('\n')
		}
		t := p.text
		if !p.converted && textMayBeMojibake(t) {
			if fixed, ok := vntext.RepairMojibake(t); ok {
				c.count(textRepairLabel(t, fixed), utf8.RuneCountInString(t))
				t = fixed
			}
		}
		sb.WriteString(t)
	}
	text := vntext.Normalize(sb.String())
	if strings.IndexFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) < 0 {
		return Errorf(ReasonNoText, "tệp không có chữ")
	}
	page := Page{N: 1, Text: text, Rung: RungDirect, Quality: 1}
	best := 0
	for enc, n := range c.enc {
		if n > best || n == best && enc < page.Encoding {
			page.Encoding, best = enc, n
		}
	}
	if c.lost > 0 {
		total := max(1, utf8.RuneCountInString(text))
		page.Quality = max(0, 1-float64(c.lost)/float64(total))
		doc.Warn(WarnLossyEncoding, 1, "%d byte không có ký tự Unicode tương ứng khi chuyển mã (hiện là “\uFFFD”)", c.lost)
	}
	doc.Pages = []Page{page}
	return nil
}

// textMayBeMojibake gates vntext.RepairMojibake: a line qualifies only with a word mixing ASCII letters
// and Windows-1252 characters ("B¶o", "Há»“"), no letter a legacy byte cannot show as such (real
// Unicode Vietnamese such as "ộ"), and a share of valid syllables low enough for the repair to gain its
// margin. This keeps bullets ("· Noi dung") and short symbols from being "repaired".
func textMayBeMojibake(s string) bool {
	mixed := false
	for _, w := range strings.Fields(s) {
		ascii, high := false, false
		for _, r := range w {
			switch {
			case r < 0x80:
				ascii = ascii || ('a' <= r|0x20 && r|0x20 <= 'z')
			case r <= 0xFF || strings.ContainsRune("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ", r):
				high = true
			}
		}
		if mixed = ascii && high; mixed {
			break
		}
	}
	return mixed && !docxUnicodeLetters(s) && vntext.SyllableValidity(s) <= 0.85
}

// Names, capitals and junk values, for cover pages and document properties.

var (
	// textAcademicRe is one academic or professional title before a name, folded: GS., PGS., TS.,
	// TSKH., ThS./Th.S, KS., CN., BS., BS.CKII, NCS., "Kỹ sư", "Tiến sĩ", "Thạc sĩ"...
	textAcademicRe = regexp.MustCompile(`^(?:(?:pho\s*)?giao\s*su|tien\s*si(?:\s*khoa\s*hoc)?|thac\s*si|ky\s*su|` +
		`cu\s*nhan|bac\s*si(?:\s*chuyen\s*khoa)?|duoc\s*si|kien\s*truc\s*su|nghien\s*cuu\s*sinh|giang\s*vien(?:\s*chinh)?|` +
		`nghien\s*cuu\s*vien(?:\s*chinh)?|nha\s*giao\s*(?:uu\s*tu|nhan\s*dan)|pgs|gs|tskh|ts|th\.?\s?s|ks|cn|bs|ds|` +
		`ncs|kts|ls|gvc|gv|ncv|ck\s?(?:ii|i|1|2)|dr|mr|mrs|ms|prof)\b[\s.,/-]*`)
	// textOrgRe starts an organisation name that follows a person's name on the same line.
	textOrgRe = regexp.MustCompile(`^(?:truong (?:dai hoc|cao dang|trung hoc|thpt)|vien |so |bo |cong ty|trung tam|` +
		`dai hoc|hoc vien|phong |khoa |ubnd|uy ban|ban |cuc |hoi |lien hiep|tong cong ty|chi cuc|benh vien|` +
		`don vi|co quan|dh |dhqg)`)
)

// textPersonName turns a name line into a name: list marker, academic titles ("PGS.TS.", "ThS.",
// "Kỹ sư"...), "Ông"/"Bà" and whatever follows the name (", Trưởng khoa", " - Trường ĐH...") are dropped.
// It returns "" unless 2–6 capitalised words remain; an all-capitals name is put in title case.
func textPersonName(s string) string {
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") // a name with its titles is far shorter
	}
	s = strings.TrimSpace(strings.TrimLeft(s, "-+*•·>0123456789.)/ \t"))
	for k := 0; k < 8; k++ {
		low := strings.ToLower(s)
		if strings.HasPrefix(low, "ông ") || strings.HasPrefix(low, "bà ") {
			s = strings.TrimSpace(s[strings.IndexByte(s, ' '):])
			continue
		}
		key, offs := coverFold(s)
		m := textAcademicRe.FindStringIndex(key)
		if m == nil || m[1] == 0 {
			break
		}
		s = s[offs[m[1]]:]
	}
	if i := strings.IndexAny(s, ",;:(/\t"); i >= 0 {
		s = s[:i]
	}
	var words []string
	fields := strings.Fields(s)
	for i, w := range fields {
		if w == "-" || w == "–" || !textNameWord(w) {
			break
		}
		if len(words) == 6 {
			return ""
		}
		if i+1 < len(fields) && textOrgRe.MatchString(vntext.FoldKey(strings.Join(fields[i:], " "))+" ") {
			if i < 2 {
				return "" // an organisation, not a person
			}
			break
		}
		words = append(words, w)
	}
	if len(words) < 2 || len(words) > 6 {
		return ""
	}
	name := strings.Join(words, " ")
	if textAllCaps(name) {
		name = textTitleCase(name)
	}
	return name
}

// textNameWord reports a capitalised word of letters only.
func textNameWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(r) || utf8.RuneCountInString(w) > 12 {
		return false
	}
	for _, r := range w {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return true
}

// textAllCaps reports text with at least two letters and no lowercase letter.
func textAllCaps(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

func textStartsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}

// textSentenceCase lowers an all-capitals title but its first letter; words with digits ("COVID-19",
// "PM2.5") keep their case. Proper nouns inside the title are lowered too.
func textSentenceCase(s string) string {
	if !textAllCaps(s) {
		return s
	}
	words := strings.Split(s, " ")
	for i, w := range words {
		if strings.IndexFunc(w, unicode.IsDigit) < 0 {
			words[i] = strings.ToLower(w)
		}
	}
	return textUpperFirst(strings.Join(words, " "))
}

// textTitleCase capitalises each word of an all-capitals name or place ("HÀ NỘI" → "Hà Nội"); short
// abbreviations with a dot ("TP.") keep their capitals.
func textTitleCase(s string) string {
	if !textAllCaps(s) {
		return s
	}
	words := strings.Split(s, " ")
	for i, w := range words {
		if !(strings.HasSuffix(w, ".") && utf8.RuneCountInString(w) <= 4) {
			words[i] = textUpperFirst(strings.ToLower(w))
		}
	}
	return strings.Join(words, " ")
}

func textUpperFirst(s string) string {
	for i, r := range s {
		if unicode.IsLetter(r) {
			return s[:i] + string(unicode.ToUpper(r)) + s[i+utf8.RuneLen(r):]
		}
	}
	return s
}

// textSplitList splits a keyword list on commas and semicolons.
func textSplitList(v string, limit int) []string {
	var out []string
	for _, k := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
		if k = strings.Trim(k, " ."); k != "" && len(k) <= 80 && len(out) < limit {
			out = append(out, k)
		}
	}
	return out
}

// textDedup drops repeated names (compared folded, so "NGUYỄN VĂN A" and "Nguyễn Văn A" are one).
func textDedup(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if k := vntext.FoldKey(n); n != "" && !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

var (
	// textJunkTitleRe are the titles office programs and PDF printers put by default.
	textJunkTitleRe = regexp.MustCompile(`^(?:microsoft (?:word|powerpoint|excel) ?-|untitled|document ?\d*$|` +
		`(?:powerpoint )?presentation$|slide \d+$|tai lieu\d*$|van ban\d*$|title$|no title$|new document|` +
		`(?:[a-z]:)?[\\/])|\.(?:docx?|pdf|rtf|odt|txt|xlsx?|pptx?|tex|dvi|ps|wpd|indd|html?)$`)
	// textJunkAuthorRe are the account and machine names found as authors.
	textJunkAuthorRe = regexp.MustCompile(`\b(?:user|admin|administrator|windows|microsoft|office|pc|computer|` +
		`laptop|desktop|dell|hp|asus|acer|lenovo|toshiba|samsung|compaq|ibm|apple|mac|vaio|thinkpad|owner|` +
		`default|guest|nguoi dung|may tinh|may chu|www|com|vn)\b|[@\d_]`)
)

// textJunkTitle reports a title that is not one: empty, a default or file name, a single word, or
// text with characters lost on the way ("Nghi?n c?u", U+FFFD).
func textJunkTitle(t string) bool {
	k := vntext.FoldKey(t)
	if len(strings.Fields(k)) < 2 || textJunkTitleRe.MatchString(k) || strings.ContainsRune(t, '\uFFFD') {
		return true
	}
	for i := 1; i+1 < len(t); i++ {
		if t[i] == '?' && t[i-1] != ' ' && t[i+1] != ' ' {
			return true
		}
	}
	return strings.IndexFunc(t, unicode.IsLetter) < 0
}
