package corpus

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a need submitted to the intake. The intake is open to the public, so every text is bounded,
// and the rules are stricter than an import's: what an enterprise types must be usable by a broker as it
// stands, and codes come from lists it picked in.
const (
	MinNeedTitle       = 10
	MaxNeedTitle       = 200
	MinNeedDescription = 30
	MaxNeedDescription = 5000
	MaxNeedEnterprise  = 200
	MaxNeedContact     = 300
	MaxNeedScale       = 300
	MaxNeedCodes       = 10
	// MaxNeedBudget is a thousand thousand billion đồng: anything above is a typing slip.
	MaxNeedBudget = 1_000_000_000_000_000
	// MaxDeadlineYears bounds how far ahead a deadline may be.
	MaxDeadlineYears = 10
	// minPhoneDigits is the shortest Vietnamese phone number (landlines without the 0 have 9 digits).
	minPhoneDigits = 9
)

// CheckSubmission normalises a need submitted to the intake (as Normalize does for imports) and checks
// the intake's rules: a title, a description, the enterprise and a way to reach it (a phone number or an
// e-mail address), an explicit confidentiality, codes only from the vocabularies, a sensible budget, a
// deadline that is a date from today on. It returns every problem, each naming its field (budget bounds
// as budget_vnd.min and budget_vnd.max); a need with a Rejected problem must not be stored. The id is not
// checked: the store gives one.
func CheckSubmission(n *Need, now time.Time) Problems {
	id := strings.TrimSpace(n.ID)
	if id == "" {
		n.ID = "nhu-cau-moi" // Normalize wants an id; the store replaces it
	}
	var probs Problems
	for _, p := range Normalize(n) {
		// Fields checked below get the intake's own, stricter, messages; the rest (a repaired legacy
		// encoding) are kept as they are.
		if p.Field == "id" || p.Code == ProblemUnknownCode || intakeChecked[p.Field] {
			continue
		}
		probs = append(probs, p)
	}
	n.ID = id
	c := &checker{id: id, probs: probs}
	c.length("title", n.Title, MinNeedTitle, MaxNeedTitle,
		"Hãy ghi tên ngắn gọn của nhu cầu.",
		"Tên nhu cầu quá ngắn (%d ký tự): hãy ghi ít nhất %d ký tự để người đọc hiểu cần gì.",
		"Tên nhu cầu dài %d ký tự, quá giới hạn %d; phần chi tiết hãy ghi ở ô mô tả.")
	c.length("description", n.Description, MinNeedDescription, MaxNeedDescription,
		"Hãy mô tả khó khăn đang gặp và điều cần giải quyết.",
		"Mô tả quá ngắn (%d ký tự): hãy viết ít nhất %d ký tự — đang làm gì, vướng ở đâu, muốn đạt được gì.",
		"Mô tả dài %d ký tự, quá giới hạn %d ký tự.")
	c.length("enterprise", n.Enterprise, 1, MaxNeedEnterprise,
		"Hãy ghi tên doanh nghiệp, hợp tác xã hoặc cơ sở (nếu chọn ẩn tên, chỉ cán bộ và nhà môi giới thấy tên này).",
		"", "Tên doanh nghiệp dài %d ký tự, quá giới hạn %d.")
	c.length("contact", n.Contact, 1, MaxNeedContact,
		"Hãy ghi cách liên hệ: tên người liên hệ và số điện thoại hoặc thư điện tử.",
		"", "Thông tin liên hệ dài %d ký tự, quá giới hạn %d.")
	if n.Contact != "" && !hasPhone(n.Contact) && !hasEmail(n.Contact) {
		c.add(Rejected, ProblemBadValue, "contact", "Thông tin liên hệ cần có một số điện thoại (ít nhất %d chữ số) hoặc một địa chỉ thư điện tử.", minPhoneDigits)
	}
	c.length("scale", n.Scale, 0, MaxNeedScale, "", "", "Phần quy mô dài %d ký tự, quá giới hạn %d.")
	if n.Confidentiality == "" {
		c.add(Rejected, ProblemMissingField, "confidentiality", "Hãy chọn ai được xem nhu cầu này.")
	}
	c.known("confidentiality", Confidentialities, nil, n.Confidentiality)
	c.known("enterprise_size", EnterpriseSizes, nil, n.EnterpriseSize)
	c.known("locality", Localities, nil, n.Locality)
	c.known("province", Provinces, nil, n.Province)
	c.known("legacy_province", Provinces, nil, n.LegacyProvince)
	c.knownList("sectors", Sectors, sectorKnown, n.Sectors)
	c.knownList("field_codes", Fields, nil, n.FieldCodes)
	c.knownList("transfer_forms", TransferForms, nil, n.TransferForms)
	if n.MinTRL < 0 || n.MinTRL > 9 {
		c.add(Rejected, ProblemOutOfRange, "min_trl", "Mức sẵn sàng công nghệ tối thiểu phải từ 1 đến 9 (hoặc để trống); gặp %d.", n.MinTRL)
	}
	c.budget(n.BudgetVND)
	c.deadline(n.Deadline, now)
	return c.probs
}

// intakeChecked are the fields whose Normalize problems CheckSubmission replaces with its own.
var intakeChecked = map[string]bool{"title": true, "min_trl": true, "budget_vnd": true, "deadline": true}

// length checks a text's length in characters; min 0 means optional, a message "" is never needed.
func (c *checker) length(field, s string, min, max int, missing, short, long string) {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0 && min > 0:
		c.add(Rejected, ProblemMissingField, field, "%s", missing)
	case n > 0 && n < min:
		c.add(Rejected, ProblemOutOfRange, field, short, n, min)
	case n > max:
		c.add(Rejected, ProblemOutOfRange, field, long, n, max)
	}
}

// known rejects a code that the vocabulary does not have (Normalize has already resolved labels).
func (c *checker) known(field string, v *Vocabulary, ok func(string) bool, code string) {
	if code == "" {
		return
	}
	if _, found := v.Lookup(code); found || ok != nil && ok(code) {
		return
	}
	c.add(Rejected, ProblemUnknownCode, field, "Giá trị %q không có trong danh mục %s; hãy chọn một mục trong danh sách.", code, vocabTitle(v))
}

func (c *checker) knownList(field string, v *Vocabulary, ok func(string) bool, codes []string) {
	if len(codes) > MaxNeedCodes {
		c.add(Rejected, ProblemOutOfRange, field, "Tối đa %d mục, gặp %d.", MaxNeedCodes, len(codes))
		return
	}
	for _, code := range codes {
		c.known(field, v, ok, code)
	}
}

func (c *checker) budget(r Range) {
	for _, b := range []struct {
		field string
		n     int64
	}{{"budget_vnd.min", r.Min}, {"budget_vnd.max", r.Max}} {
		switch {
		case b.n < 0:
			c.add(Rejected, ProblemOutOfRange, b.field, "Số tiền không được âm.")
		case b.n > MaxNeedBudget:
			c.add(Rejected, ProblemOutOfRange, b.field, "Số tiền %s quá lớn (tối đa %s); hãy kiểm tra lại số chữ số 0.", FormatVND(b.n), FormatVND(MaxNeedBudget))
		}
	}
	if r.Max > 0 && r.Min > r.Max {
		c.add(Rejected, ProblemOutOfRange, "budget_vnd.max", "Mức «đến» (%s) nhỏ hơn mức «từ» (%s).", FormatVND(r.Max), FormatVND(r.Min))
	}
}

func (c *checker) deadline(s string, now time.Time) {
	if s == "" {
		return
	}
	d, err := time.ParseInLocation("2006-01-02", s, Vietnam)
	if err != nil {
		c.add(Rejected, ProblemBadValue, "deadline", "Ngày %q không đúng dạng năm-tháng-ngày (ví dụ %s).", s, now.In(Vietnam).AddDate(0, 3, 0).Format("2006-01-02"))
		return
	}
	today := now.In(Vietnam).Format("2006-01-02")
	switch {
	case s < today:
		c.add(Rejected, ProblemOutOfRange, "deadline", "Thời hạn %s đã qua; hãy chọn một ngày từ hôm nay (%s) trở đi, hoặc để trống.", d.Format("02/01/2006"), now.In(Vietnam).Format("02/01/2006"))
	case d.After(now.AddDate(MaxDeadlineYears, 0, 0)):
		c.add(Rejected, ProblemOutOfRange, "deadline", "Thời hạn %s quá xa: tối đa %d năm kể từ hôm nay.", d.Format("02/01/2006"), MaxDeadlineYears)
	}
}

// hasPhone reports whether s holds a phone number: a run of at least minPhoneDigits digits, which may be
// split by spaces, dots or dashes ("0256 3 822 123", "+84 905.123.456").
func hasPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			if digits >= minPhoneDigits {
				return true
			}
		case r == ' ' || r == '.' || r == '-' || r == '+' || r == '(' || r == ')':
		default:
			digits = 0
		}
	}
	return false
}

// hasEmail reports whether s holds something shaped like an e-mail address: name@domain.tld.
func hasEmail(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(",;()<>", r) }) {
		local, domain, ok := strings.Cut(w, "@")
		if ok && local != "" && strings.Contains(strings.Trim(domain, "."), ".") && !strings.Contains(domain, "@") {
			return true
		}
	}
	return false
}

// FormatVND writes an amount of đồng with dot thousands separators, as Vietnamese readers expect.
func FormatVND(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(r)
	}
	return b.String() + " ₫"
}
