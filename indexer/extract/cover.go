package extract

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// Limits of the cover scan: the pages a report's metadata can be on (cover, inner cover, abstract) and
// how much of them is read, so a whole DOCX passed as one page costs little.
const (
	coverMaxPages     = 4
	coverMaxPageBytes = 64 << 10
	coverMaxLines     = 800
	coverMaxLineBytes = 1000
	coverMaxAbstract  = 6000 // bytes
)

// coverLine is one line of the cover pages: its text (NFC, trimmed) and the folded lowercase key its
// labels are matched on, with the byte offset in text of each key byte (one more at the end).
type coverLine struct {
	text string
	key  string
	offs []int
	page int
}

// coverFold folds s for matching ("Chủ nhiệm:" → "chu nhiem:"), dashes to "-"; offs maps each key byte
// back to the start of the rune of s it came from.
func coverFold(s string) (string, []int) {
	key := make([]byte, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i, r := range s {
		var f string
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			key, offs = append(key, c), append(offs, i)
			continue
		case strings.ContainsRune("–—‐‑−", r):
			f = "-"
		case r == '：':
			f = ":"
		default:
			f = strings.ToLower(vntext.Fold(string(r)))
		}
		for j := 0; j < len(f); j++ {
			key, offs = append(key, f[j]), append(offs, i)
		}
	}
	return string(key), append(offs, len(s))
}

// coverLines normalizes the first pages and splits them into lines; a blank line separates pages.
func coverLines(pages []string) []coverLine {
	var lines []coverLine
	for pi, p := range pages[:min(len(pages), coverMaxPages)] {
		if len(p) > coverMaxPageBytes {
			p = strings.ToValidUTF8(p[:coverMaxPageBytes], "")
		}
		if pi > 0 {
			lines = append(lines, coverLine{page: pi})
		}
		for _, t := range strings.Split(vntext.Normalize(p), "\n") {
			if len(lines) >= coverMaxLines {
				return lines
			}
			if len(t) > coverMaxLineBytes {
				t = strings.TrimSpace(strings.ToValidUTF8(t[:coverMaxLineBytes], ""))
			}
			k, o := coverFold(t)
			lines = append(lines, coverLine{text: t, key: k, offs: o, page: pi})
		}
	}
	return lines
}

// Cover fields a label introduces.
const (
	coverFieldLead = iota + 1
	coverFieldMembers
	coverFieldOrg
	coverFieldCode
	coverFieldTitle
	coverFieldAbstract
	coverFieldAbstractEN
	coverFieldKeywords
)

// coverLabels are matched on a line's key: an optional list marker or "(", the label, then a colon,
// spaces or the end of the line. Weak labels (words that also start ordinary lines) need a colon or
// the end of the line.
var coverLabels = func() []struct {
	field int
	re    *regexp.Regexp
} {
	const pre = `^\(?\s*(?:[-+*•·>]\s*|(?:\d{1,2}|[ivx]{1,4}|[a-e])[.)/]\s*)?(?:`
	const strong, weak = `)(\s*:\s*|\s+|$)`, `)(\s*:\s*|\s*$)`
	const kind = `(?:\s+(?:de tai|du an|de an|nhiem vu|chuong trinh))?`
	list := []struct {
		field int
		re    string
	}{
		{coverFieldOrg, pre + `(?:co quan|don vi|to chuc)\s+(?:chu tri|thuc hien)` + kind + strong},
		{coverFieldLead, pre + `chu nhiem` + kind + `|nguoi chu tri` + kind + `|chu tri de tai` + strong},
		{coverFieldLead, pre + `tac gia|nguoi thuc hien|sinh vien thuc hien|hoc vien thuc hien` + weak},
		{coverFieldCode, pre + `ma so` + kind + `|ma (?:de tai|du an|nhiem vu)` + strong},
		{coverFieldTitle, pre + `ten (?:de tai|du an|de an|nhiem vu|chuong trinh)` + strong},
		{coverFieldTitle, pre + `de tai|du an|de an` + weak},
		{coverFieldMembers, pre + `(?:danh sach\s+)?(?:cac\s+|nhung\s+)?(?:thanh vien|can bo|nguoi)\s+` +
			`(?:tham gia|thuc hien|phoi hop)(?:\s+(?:chinh|thuc hien))?` + kind + strong},
		{coverFieldMembers, pre + `(?:cac\s+)?thanh vien|tham gia thuc hien|cong tac vien|nhom (?:nghien cuu|thuc hien)` + weak},
		{coverFieldAbstract, pre + `tom tat(?:\s+[a-z]+){0,5}` + weak},
		{coverFieldAbstractEN, pre + `abstract|summary` + weak},
		{coverFieldKeywords, pre + `tu khoa|keywords?|key words` + weak},
	}
	out := make([]struct {
		field int
		re    *regexp.Regexp
	}, len(list))
	for i, l := range list {
		out[i].field, out[i].re = l.field, regexp.MustCompile(l.re)
	}
	return out
}()

// coverLabel returns the field a line's label names and the value after it ("" when the value is on
// the following lines).
func coverLabel(l coverLine) (int, string, bool) {
	for _, lb := range coverLabels {
		if m := lb.re.FindStringIndex(l.key); m != nil {
			v := strings.TrimSpace(l.text[l.offs[m[1]]:])
			if strings.HasPrefix(l.key, "(") {
				v = strings.TrimSuffix(v, ")")
			}
			return lb.field, strings.TrimSpace(strings.TrimRight(v, ".,;")), true
		}
	}
	return 0, "", false
}

var (
	// coverPlaceYearRe is the place and date line of a cover: "Bình Định, 2020", "Quy Nhơn, tháng 12
	// năm 2020", "HÀ NỘI - 2020", "Hà Nội, 12/2020", "Năm 2020".
	coverPlaceYearRe = regexp.MustCompile(`^(?:([a-z][a-z. ]{0,40}?[a-z.])\s*[,-]?\s*)?(?:ngay\s+\d{1,2}\s*)?` +
		`(?:thang\s+\d{1,2}\s*[,/]?\s*|\d{1,2}\s*[/.-]\s*)?(?:nam\s+)?((?:19|20)\d\d)\s*\.?$`)
	// coverReportRe starts the report-type line the title follows.
	coverReportRe = regexp.MustCompile(`^(?:bao cao|thuyet minh|tong ket|luan an|luan van|khoa luan|de an)\b`)
	// coverReportContRe continues a report-type line ("KẾT QUẢ ĐỀ TÀI", "... CẤP TỈNH").
	coverReportContRe = regexp.MustCompile(`^(?:(?:tong hop|tom tat|tong ket|ket qua|nghiem thu)(?:\s+(?:ket qua|nghien cuu|` +
		`thuc hien|tong hop))*$|(?:(?:tong hop|tom tat|tong ket|ket qua|thuc hien|nghiem thu|thuoc)\s+)*` +
		`(?:ket qua\s+)?(?:thuc hien\s+|nghien cuu\s+)?(?:de tai|du an|de an|nhiem vu|chuong trinh)\b|` +
		`.*\bcap (?:tinh|co so|bo|nha nuoc|quoc gia|thanh pho|truong|dai hoc|nganh)\b|\(.*\)$)`)
	// coverHeaderRe are the agency lines above a title.
	coverHeaderRe = regexp.MustCompile(`^(?:bo |so |ubnd|uy ban|truong |vien |dai hoc|hoc vien|trung tam|cong hoa|` +
		`doc lap|dang |tong cong ty|cong ty|lien hiep|hoi |khoa |phong |tinh |thanh pho|\*|-|_)`)
	// coverAbstractEndRe are the headings that end an abstract.
	coverAbstractEndRe = regexp.MustCompile(`^(?:muc luc|chuong\b|phan\s+(?:\d|[ivx]+\b|mo dau|mot\b)|mo dau|` +
		`dat van de|abstract|summary|loi cam on|loi noi dau|loi mo dau|danh muc|danh sach|tu khoa|keywords?\b|` +
		`key words|tai lieu tham khao)`)
	coverNumberedRe = regexp.MustCompile(`^(?:\d{1,2}(?:\.\d{1,2})*\.?|[ivx]{1,4}\.)\s+\S`)
	// coverRoleRe are role cells of a member table, skipped between names.
	coverRoleRe = regexp.MustCompile(`^(?:\d{1,2}\.?|stt|tt|ho va ten|ho ten|chu nhiem(?: de tai)?|thu ky(?: khoa hoc| de tai)?|` +
		`thanh vien(?: chinh)?|cong tac vien|ky thuat vien|nghien cuu vien|can bo|tham gia|don vi(?: cong tac)?|co quan|` +
		`chuc danh|chuc vu|hoc ham|hoc vi|nhiem vu|noi dung(?: cong viec)?|ghi chu)$`)
)

// CoverMetadata reads the metadata of a research report from its first pages (cover, inner cover,
// abstract page): the title (the block after the report-type line, or after "Tên đề tài"), the project
// lead ("Chủ nhiệm đề tài", academic titles stripped) then the members, the host organisation ("Cơ quan
// chủ trì"), the code ("Mã số"), place and year, the abstract ("TÓM TẮT") and keywords. Labels are
// matched without diacritics or case, values may sit on the next line. Every field found has the
// source "cover". An all-capitals title is put in sentence case, which loses the capitals of proper
// nouns inside it ("... tỉnh bình định"): the cover does not tell them apart.
func CoverMetadata(pages []string) Metadata {
	lines := coverLines(pages)
	var md Metadata
	var title, yearOnlyPlace string
	yearOnly := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if l.key == "" {
			continue
		}
		field, v, ok := coverLabel(l)
		if !ok {
			if md.Year == 0 && i < 300 {
				if place, year, ok := coverPlaceYear(l); ok && place != "" {
					md.Place, md.Year = place, year
				} else if ok && yearOnly == 0 {
					yearOnly, yearOnlyPlace = year, place
				}
			}
			continue
		}
		next := func() string {
			if v == "" {
				if j := coverNextValue(lines, i); j > 0 {
					i = j
					return lines[j].text
				}
			}
			return v
		}
		switch field {
		case coverFieldLead:
			if len(md.Authors) == 0 {
				if n := textPersonName(next()); n != "" {
					md.Authors = []string{n}
				}
			}
		case coverFieldMembers:
			var names []string
			names, i = coverMembers(lines, i, v)
			md.Authors = append(md.Authors, names...)
		case coverFieldOrg:
			if md.Organization == "" {
				md.Organization = strings.TrimRight(next(), ".,;")
			}
		case coverFieldCode:
			if md.Code == "" {
				md.Code = coverCode(next())
			}
		case coverFieldTitle:
			if title == "" {
				if v != "" {
					title = coverBlock(lines, i, v)
				} else if j := coverNextValue(lines, i); j > 0 {
					title = coverBlock(lines, j, lines[j].text)
				}
			}
		case coverFieldAbstract, coverFieldAbstractEN:
			if v == "" && coverAfterReportType(lines, i) {
				continue // "BÁO CÁO / TÓM TẮT": the report type, not the abstract
			}
			var a string
			a, i = coverAbstract(lines, i, v)
			if md.Abstract == "" && (field == coverFieldAbstract || len(a) > 0) {
				md.Abstract = a
			}
		case coverFieldKeywords:
			if md.Keywords == nil {
				md.Keywords = textSplitList(v, 20)
			}
		}
	}
	if md.Year == 0 && yearOnly > 0 {
		md.Place, md.Year = yearOnlyPlace, yearOnly
	}
	if title == "" {
		title = coverFindTitle(lines)
	}
	md.Title = textSentenceCase(title)
	md.Authors = textDedup(md.Authors)
	return coverFinish(md, "cover")
}

// coverAfterReportType reports a line right after a report-type line ("BÁO CÁO").
func coverAfterReportType(lines []coverLine, i int) bool {
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if lines[j].key != "" {
			return coverReportRe.MatchString(lines[j].key)
		}
	}
	return false
}

// coverNextValue returns the index of the line holding a label's value: the next non-blank line,
// skipping signature notes in parentheses, unless another label comes first. 0 when there is none.
func coverNextValue(lines []coverLine, i int) int {
	for j := i + 1; j < len(lines) && j <= i+4; j++ {
		l := lines[j]
		if l.key == "" || strings.HasPrefix(l.key, "(") {
			continue
		}
		if _, _, ok := coverLabel(l); ok {
			return 0
		}
		return j
	}
	return 0
}

// coverBlock gathers a title starting with first (the text of line i, or a label's value on it) and
// continued by the following lines while they read as its continuation: capitals after capitals
// (one blank line allowed between them), or a line starting in lowercase.
func coverBlock(lines []coverLine, i int, first string) string {
	parts := []string{first}
	caps := textAllCaps(first)
	blank := 0
	for j := i + 1; j < len(lines) && len(parts) < 6; j++ {
		l := lines[j]
		if l.page != lines[i].page {
			break
		}
		if l.key == "" {
			if blank++; blank > 1 {
				break
			}
			continue
		}
		if coverStop(l) {
			break
		}
		lc := textAllCaps(l.text)
		if !(caps && lc) && (blank > 0 || !textStartsLower(l.text)) {
			break
		}
		parts, blank = append(parts, l.text), 0
	}
	return strings.Join(parts, " ")
}

// coverStop reports a line that cannot continue a title: a label, the place and year, a person with
// an academic title, or a parenthesised note.
func coverStop(l coverLine) bool {
	if _, _, ok := coverLabel(l); ok || strings.HasPrefix(l.key, "(") {
		return true
	}
	if _, _, ok := coverPlaceYear(l); ok {
		return true
	}
	return textAcademicRe.MatchString(l.key) && textPersonName(l.text) != ""
}

// coverFindTitle finds the title without a "Tên đề tài" label: the block after the report-type line
// ("BÁO CÁO TỔNG HỢP KẾT QUẢ ĐỀ TÀI ... CẤP TỈNH"), else the first capitals block of the first page
// that is not an agency header.
func coverFindTitle(lines []coverLine) string {
	for i := 0; i < len(lines) && i < 200; i++ {
		if !coverReportRe.MatchString(lines[i].key) {
			continue
		}
		for j := i + 1; j < len(lines) && j < i+8; j++ {
			l := lines[j]
			if l.key == "" || coverReportContRe.MatchString(l.key) {
				continue
			}
			if coverStop(l) {
				break
			}
			if t := coverBlock(lines, j, l.text); len(strings.Fields(t)) >= 2 {
				return t
			}
			break
		}
	}
	for j, l := range lines {
		if l.page > 0 || j > 60 {
			break
		}
		if l.key == "" || !textAllCaps(l.text) || coverHeaderRe.MatchString(l.key) ||
			coverReportContRe.MatchString(l.key) || coverStop(l) {
			continue
		}
		if t := coverBlock(lines, j, l.text); len(strings.Fields(t)) >= 4 {
			return t
		}
	}
	return ""
}

// coverPlaceYear reads a place-and-year line; the place is in title case when the cover has it in
// capitals. Years outside 1975..next year are not report years.
func coverPlaceYear(l coverLine) (string, int, bool) {
	if len(l.text) > 60 {
		return "", 0, false
	}
	m := coverPlaceYearRe.FindStringSubmatchIndex(l.key)
	if m == nil {
		return "", 0, false
	}
	year, _ := strconv.Atoi(l.key[m[4]:m[5]])
	if year < 1975 || year > time.Now().Year()+1 {
		return "", 0, false
	}
	place := ""
	if m[2] >= 0 {
		switch k := l.key[m[2]:m[3]]; {
		case k == "nam" || k == "thang" || k == "ngay" || strings.Count(k, " ") > 5 || coverReportRe.MatchString(k):
		default:
			place = textTitleCase(strings.TrimSpace(l.text[l.offs[m[2]]:l.offs[m[3]]]))
		}
	}
	return place, year, true
}

// coverCode cleans a "Mã số" value: its first word when it runs on.
func coverCode(v string) string {
	v = strings.Trim(v, " .,;:()")
	if f := strings.Fields(v); len(f) > 3 || len(v) > 40 {
		v = strings.Trim(f[0], " .,;:()")
	}
	return v
}

// coverMembers reads a member list: names after the label on the same line (separated by commas or
// semicolons), or on the following lines, one a line, skipping numbers and role cells of a table.
// It returns the names and the index of the last line used.
func coverMembers(lines []coverLine, i int, v string) ([]string, int) {
	var names []string
	if v != "" {
		for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' }) {
			if n := textPersonName(part); n != "" {
				names = append(names, n)
			}
		}
		return names, i
	}
	last, misses := i, 0
	for j := i + 1; j < len(lines) && j <= i+40 && len(names) < 20; j++ {
		l := lines[j]
		if l.key == "" || coverRoleRe.MatchString(l.key) {
			continue
		}
		if _, _, ok := coverLabel(l); ok {
			break
		}
		if _, _, ok := coverPlaceYear(l); ok {
			break
		}
		if n := textPersonName(l.text); n != "" {
			names, last, misses = append(names, n), j, 0
			continue
		}
		if misses++; misses > 1 || len(names) == 0 {
			break
		}
	}
	return names, last
}

// coverAbstract reads the abstract after its heading (inline text after a colon included) up to the
// next heading, a numbered heading once some text is in, or a blank line or page break after enough
// text. It returns the paragraphs joined by newlines and the index of the last line read.
func coverAbstract(lines []coverLine, i int, inline string) (string, int) {
	var paras, cur []string
	n := 0
	if inline != "" {
		cur, n = append(cur, inline), len(inline)
	}
	flush := func() {
		if len(cur) > 0 {
			paras, cur = append(paras, strings.Join(cur, " ")), nil
		}
	}
	j := i + 1
	for ; j < len(lines) && n < coverMaxAbstract; j++ {
		l := lines[j]
		if l.key == "" {
			flush()
			if n >= 300 {
				break
			}
			continue
		}
		if _, _, ok := coverLabel(l); ok {
			break
		}
		if _, _, ok := coverPlaceYear(l); ok {
			break
		}
		if coverAbstractEndRe.MatchString(l.key) ||
			(coverNumberedRe.MatchString(l.key) && (n >= 100 || textAllCaps(l.text))) {
			break
		}
		cur, n = append(cur, l.text), n+len(l.text)+1
	}
	flush()
	return strings.Join(paras, "\n"), j - 1
}

// coverFinish normalizes every field (NFC, trimmed) and records source for the fields that are set.
func coverFinish(md Metadata, source string) Metadata {
	md.Title, md.Organization = vntext.Normalize(md.Title), vntext.Normalize(md.Organization)
	md.Code, md.Place, md.Abstract = vntext.Normalize(md.Code), vntext.Normalize(md.Place), vntext.Normalize(md.Abstract)
	norm := func(list []string) []string {
		var out []string
		for _, s := range list {
			if s = vntext.Normalize(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	md.Authors, md.Keywords = norm(md.Authors), norm(md.Keywords)
	md.Sources = nil
	for field, set := range map[string]bool{"title": md.Title != "", "authors": len(md.Authors) > 0,
		"organization": md.Organization != "", "code": md.Code != "", "place": md.Place != "",
		"year": md.Year != 0, "abstract": md.Abstract != "", "keywords": len(md.Keywords) > 0} {
		if set {
			if md.Sources == nil {
				md.Sources = map[string]string{}
			}
			md.Sources[field] = source
		}
	}
	return md
}

// MergeMetadata layers metadata: a later layer's non-empty field replaces the earlier one, with its
// source, so the order info/properties, cover, sidecar gives the sidecar the last word on any field.
func MergeMetadata(layers ...Metadata) Metadata {
	var out Metadata
	src := map[string]string{}
	take := func(field string, l Metadata) {
		if s := l.Sources[field]; s != "" {
			src[field] = s
		} else {
			delete(src, field)
		}
	}
	for _, l := range layers {
		for _, f := range [...]struct {
			name string
			set  bool
			copy func()
		}{
			{"title", l.Title != "", func() { out.Title = l.Title }},
			{"authors", len(l.Authors) > 0, func() { out.Authors = append([]string(nil), l.Authors...) }},
			{"organization", l.Organization != "", func() { out.Organization = l.Organization }},
			{"code", l.Code != "", func() { out.Code = l.Code }},
			{"place", l.Place != "", func() { out.Place = l.Place }},
			{"year", l.Year != 0, func() { out.Year = l.Year }},
			{"abstract", l.Abstract != "", func() { out.Abstract = l.Abstract }},
			{"keywords", len(l.Keywords) > 0, func() { out.Keywords = append([]string(nil), l.Keywords...) }},
		} {
			if f.set {
				f.copy()
				take(f.name, l)
			}
		}
	}
	if len(src) > 0 {
		out.Sources = src
	}
	return out
}

// InfoMetadata reads a PDF's Info dictionary, a low-confidence source (Sources "info"): junk values are
// dropped (titles such as "Microsoft Word - x.doc", "Untitled", file names or a single word; authors
// such as "User", "Admin", "Windows User", machine names), mojibake is repaired, a subject long enough
// to be one becomes the abstract, and the creation year is kept when plausible.
func InfoMetadata(title, author, subject, keywords string, created time.Time) Metadata {
	md := coverDocMetadata(title, author, subject, keywords, "info")
	if y := created.Year(); !created.IsZero() && y >= 1975 && y <= time.Now().Year()+1 {
		md.Year = y
		if md.Sources == nil {
			md.Sources = map[string]string{}
		}
		md.Sources["year"] = "info"
	}
	return md
}

// coverDocMetadata is the metadata of document properties (DOCX/ODT) or a PDF Info dictionary, with
// junk dropped; source names it in Sources.
func coverDocMetadata(title, author, subject, keywords, source string) Metadata {
	fix := func(s string) string {
		if len(s) > 64<<10 {
			s = strings.ToValidUTF8(s[:64<<10], "")
		}
		if r, ok := vntext.RepairMojibake(s); ok {
			s = r
		}
		return vntext.Normalize(s)
	}
	var md Metadata
	if t := fix(title); !textJunkTitle(t) {
		md.Title = textSentenceCase(t)
	}
	for _, a := range strings.FieldsFunc(fix(author), func(r rune) bool { return r == ';' || r == ',' || r == '&' }) {
		if textJunkAuthorRe.MatchString(vntext.FoldKey(a)) {
			continue
		}
		if n := textPersonName(a); n != "" {
			md.Authors = append(md.Authors, n)
		}
	}
	md.Authors = textDedup(md.Authors)
	if s := fix(subject); len(strings.Fields(s)) >= 12 && vntext.SyllableValidity(s) >= 0.5 {
		md.Abstract = s
	}
	md.Keywords = textSplitList(fix(keywords), 20)
	return coverFinish(md, source)
}
