package corpus

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// MaxIDBytes bounds a record id: ids appear in URLs and file names of reports.
const MaxIDBytes = 200

// Normalize brings the record's text to NFC with the project's normalisation, resolves labels to codes
// (a province written "Bình Định" becomes gia-lai with legacy province binh-dinh) and returns what is wrong.
// Records with a Rejected problem must not be stored.
func Normalize(rec Record) Problems {
	switch r := rec.(type) {
	case *Result:
		return normalizeResult(r)
	case *Need:
		return normalizeNeed(r)
	}
	return Problems{{Severity: Rejected, Code: ProblemBadValue, Field: "kind", Message: "loại bản ghi không hợp lệ"}}
}

type checker struct {
	id    string
	probs Problems
}

func (c *checker) add(sev Severity, code, field, format string, args ...any) {
	c.probs = append(c.probs, Problem{ID: c.id, Field: field, Severity: sev, Code: code, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) text(s *string) { *s = vntext.Normalize(*s) }

// prose normalises a text field and repairs legacy-encoding mojibake in it (TCVN3 typed in .VnTime and
// saved as Unicode, "B¶o ®¶m"; VNI "haøng"; UTF-8 read as Windows-1252 "Há»“"), with a warning.
func (c *checker) prose(field string, s *string) {
	if mayBeMojibake(*s) {
		if fixed, ok := vntext.RepairMojibake(*s); ok {
			c.add(Warning, ProblemRepairedEncoding, field, "văn bản lỗi bảng mã cũ đã được chuyển sang Unicode: %q → %q",
				clip(*s, 40), clip(fixed, 40))
			*s = fixed
		}
	}
	*s = vntext.Normalize(*s)
}

// mayBeMojibake is the cheap gate in front of RepairMojibake: a Latin-1 character that is not a
// Vietnamese letter (¶ ® ø ö »...), and no letter beyond Latin-1 such as "ấ" or "ơ" (legacy bytes shown
// as Windows-1252 never give one, so real Unicode Vietnamese with a stray symbol stays as it is).
func mayBeMojibake(s string) bool {
	odd := false
	for _, r := range s {
		switch {
		case r >= 0x80 && r <= 0xFF:
			odd = odd || !strings.ContainsRune("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ", r)
		case r > 0xFF && unicode.IsLetter(r) && !strings.ContainsRune("ŒœŠšŸŽžƒ", r):
			return false
		}
	}
	return odd
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

func (c *checker) list(field string, l []string) []string {
	out := l[:0]
	for _, s := range l {
		if s = vntext.Normalize(s); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// links keeps the web addresses (http, https) of a list; anything else (javascript:, a file path) is dropped
// with a warning, as it could never be a link to follow.
func (c *checker) links(field string, l []string) []string {
	l = c.list(field, l)
	out := l[:0]
	for _, s := range l {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.add(Warning, ProblemBadValue, field, "%q không phải địa chỉ web http(s); bị bỏ", clip(s, 80))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (c *checker) required(id, title string) {
	if id == "" {
		c.add(Rejected, ProblemMissingField, "id", "thiếu mã bản ghi (id)")
	} else if len(id) > MaxIDBytes {
		c.add(Rejected, ProblemBadValue, "id", "mã bản ghi dài quá %d byte", MaxIDBytes)
	} else if strings.IndexFunc(id, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '/' || r == '\\' || r == utf8.RuneError
	}) >= 0 {
		c.add(Rejected, ProblemBadValue, "id", "mã bản ghi %q chứa khoảng trắng, ký tự điều khiển hoặc dấu gạch chéo", id)
	}
	if title == "" {
		c.add(Rejected, ProblemMissingField, "title", "thiếu tiêu đề (title)")
	}
}

// codes resolves each code of a list against a vocabulary: labels become codes; unknown values are kept and
// reported.
func (c *checker) codes(field string, v *Vocabulary, known func(string) bool, l []string) []string {
	l = c.list(field, l)
	seen := map[string]bool{}
	out := l[:0]
	for _, s := range l {
		if code, ok := v.Resolve(s); ok {
			s = code
		} else if known == nil || !known(s) {
			c.add(Warning, ProblemUnknownCode, field, "giá trị %q không có trong danh mục %s; vẫn được giữ", s, vocabTitle(v))
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (c *checker) code(field string, v *Vocabulary, s *string) {
	c.text(s)
	if *s == "" {
		return
	}
	if code, ok := v.Resolve(*s); ok {
		*s = code
		return
	}
	c.add(Warning, ProblemUnknownCode, field, "giá trị %q không có trong danh mục %s; vẫn được giữ", *s, vocabTitle(v))
}

func (c *checker) trl(field string, n int) {
	if n < 0 || n > 9 {
		c.add(Warning, ProblemOutOfRange, field, "TRL %d ngoài thang 1–9; vẫn được giữ", n)
	}
}

func (c *checker) money(field string, r Range) {
	if r.Min < 0 || r.Max < 0 {
		c.add(Warning, ProblemOutOfRange, field, "số tiền âm (%d–%d)", r.Min, r.Max)
	}
	if r.Max > 0 && r.Min > r.Max {
		c.add(Warning, ProblemOutOfRange, field, "min %d lớn hơn max %d", r.Min, r.Max)
	}
}

func (c *checker) year(n int) {
	if n != 0 && (n < 1900 || n > time.Now().Year()+1) {
		c.add(Warning, ProblemOutOfRange, "year", "năm %d không hợp lý; vẫn được giữ", n)
	}
}

func (c *checker) date(field string, s *string) {
	c.text(s)
	if *s == "" {
		return
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02", "2006-01-02 15:04:05"} {
		if _, err := time.Parse(layout, *s); err == nil {
			return
		}
	}
	c.add(Warning, ProblemBadValue, field, "ngày %q không đúng dạng YYYY-MM-DD hoặc RFC 3339; vẫn được giữ", *s)
}

// place resolves province and locality: a legacy province becomes the current one and is kept as the
// legacy province; a known locality fills in both when they are missing.
func (c *checker) place(province, legacy, locality *string) {
	c.text(province)
	c.text(legacy)
	c.code("locality", Localities, locality)
	if *province != "" {
		code, ok := Provinces.Resolve(*province)
		if !ok {
			c.add(Warning, ProblemUnknownCode, "province", "tỉnh/thành %q không có trong danh mục; vẫn được giữ", *province)
			return
		}
		if cur := CurrentProvince(code); cur != code {
			if *legacy == "" {
				*legacy = code
			}
			code = cur
		}
		*province = code
	}
	if *legacy != "" {
		if code, ok := Provinces.Resolve(*legacy); ok {
			*legacy = code
		}
	}
	if t, ok := Localities.Lookup(*locality); ok {
		if *legacy == "" {
			*legacy = t.Parent
		}
		if *province == "" {
			*province = CurrentProvince(t.Parent)
		}
	}
}

func normalizeResult(r *Result) Problems {
	c := &checker{id: strings.TrimSpace(r.ID)}
	r.ID = c.id
	r.Kind = KindResult
	c.prose("title", &r.Title)
	c.prose("summary", &r.Summary)
	c.prose("body", &r.Body)
	c.prose("applications", &r.Applications)
	c.prose("advantages", &r.Advantages)
	c.prose("organization", &r.Organization)
	for _, s := range []*string{&r.SummaryEN, &r.Language, &r.Source, &r.SourceID} {
		c.text(s)
	}
	for i := range r.Pages {
		c.text(&r.Pages[i])
	}
	c.required(r.ID, r.Title)
	r.Keywords = c.list("keywords", r.Keywords)
	r.Authors = c.list("authors", r.Authors)
	r.Links = c.links("links", r.Links)
	r.FieldCodes = c.codes("field_codes", Fields, nil, r.FieldCodes)
	r.Sectors = c.codes("sectors", Sectors, sectorKnown, r.Sectors)
	r.TransferForms = c.codes("transfer_forms", TransferForms, nil, r.TransferForms)
	c.code("ip_status", IPStatuses, &r.IPStatus)
	c.trl("trl", r.TRL)
	c.money("price_vnd", r.PriceVND)
	c.year(r.Year)
	c.date("updated_at", &r.UpdatedAt)
	c.place(&r.Province, &r.LegacyProvince, &r.Locality)
	return c.probs
}

func normalizeNeed(n *Need) Problems {
	c := &checker{id: strings.TrimSpace(n.ID)}
	n.ID = c.id
	n.Kind = KindNeed
	c.prose("title", &n.Title)
	c.prose("description", &n.Description)
	c.prose("enterprise", &n.Enterprise)
	c.prose("scale", &n.Scale)
	c.text(&n.Contact)
	c.required(n.ID, n.Title)
	n.FieldCodes = c.codes("field_codes", Fields, nil, n.FieldCodes)
	n.Sectors = c.codes("sectors", Sectors, sectorKnown, n.Sectors)
	n.TransferForms = c.codes("transfer_forms", TransferForms, nil, n.TransferForms)
	c.code("confidentiality", Confidentialities, &n.Confidentiality)
	c.code("enterprise_size", EnterpriseSizes, &n.EnterpriseSize)
	c.trl("min_trl", n.MinTRL)
	c.money("budget_vnd", n.BudgetVND)
	c.date("deadline", &n.Deadline)
	c.date("updated_at", &n.UpdatedAt)
	c.place(&n.Province, &n.LegacyProvince, &n.Locality)
	c.brokerName(&n.Broker)
	return c.probs
}

// MaxBrokerRunes bounds a broker's name, as long as an API key's name may be.
const MaxBrokerRunes = maxKeyName

// brokerName checks the name a broker's feed is known by.
func (c *checker) brokerName(s *string) {
	var problem string
	if *s, problem = BrokerName(*s); problem != "" {
		c.add(Rejected, ProblemBadValue, "broker", "%s", problem)
	}
}

// BrokerName normalises a broker's name and says what is wrong with it ("" when nothing): one line, not
// too long. An empty name is no broker.
func BrokerName(s string) (string, string) {
	s = vntext.Normalize(s)
	switch {
	case utf8.RuneCountInString(s) > MaxBrokerRunes:
		return s, fmt.Sprintf("tên nhà môi giới dài quá %d ký tự", MaxBrokerRunes)
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return s, "tên nhà môi giới không được chứa ký tự điều khiển hay xuống dòng"
	}
	return s, ""
}

func vocabTitle(v *Vocabulary) string {
	switch v.Name {
	case "ip_status":
		return "tình trạng sở hữu trí tuệ"
	case "transfer_forms":
		return "hình thức chuyển giao"
	case "fields":
		return "lĩnh vực KH&CN"
	case "vsic":
		return "ngành kinh tế VSIC 2018"
	case "localities":
		return "địa bàn"
	case "confidentiality":
		return "mức công khai"
	case "enterprise_sizes":
		return "quy mô doanh nghiệp"
	case "provinces":
		return "tỉnh/thành"
	}
	return v.Name
}
