package vntext

import (
	"bufio"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// Encoding names a text encoding found in Vietnamese documents.
type Encoding string

// Supported encodings.
const (
	UTF8   Encoding = "utf-8"
	TCVN3  Encoding = "tcvn3"  // TCVN 5712:1993 VN3, the ABC .VnTime fonts
	VNI    Encoding = "vni"    // VNI-Windows, two bytes for most toned letters
	VISCII Encoding = "viscii" // RFC 1456
	CP1258 Encoding = "cp1258" // Windows-1258, with combining tone marks
	Latin1 Encoding = "windows-1252"
)

//go:embed tables/*.txt
var tableFiles embed.FS

// byteTable maps each byte to its decoded text; "" marks an undefined byte.
type byteTable [256]string

// Read-only tables, built from the embedded files.
var (
	tables = buildTables()
	// inv1252 maps the character a Windows-1252 (or Latin-1) reader shows
	// for a byte back to that byte.
	inv1252 = buildInv1252()
	// inv1258 does the same for Windows-1258, with toned letters split into
	// base letter and combining tone as CP1258 writes them.
	inv1258 = buildInv1258()
)

func buildTables() map[Encoding]*byteTable {
	m := map[Encoding]*byteTable{}
	for enc, file := range map[Encoding]string{
		TCVN3: "tables/tcvn3.txt", VNI: "tables/vni.txt",
		VISCII: "tables/viscii.txt", CP1258: "tables/cp1258.txt",
	} {
		t, err := loadTable(file)
		if err != nil {
			panic(err)
		}
		m[enc] = t
	}
	var w byteTable
	for b := 0; b < 256; b++ {
		r := charmap.Windows1252.DecodeByte(byte(b))
		if r == utf8.RuneError {
			r = rune(b) // undefined bytes read as C1 controls, as browsers do
		}
		w[b] = string(r)
	}
	m[Latin1] = &w
	return m
}

func buildInv1252() map[rune]byte {
	m := map[rune]byte{}
	for b := 0; b < 256; b++ {
		m[rune(b)] = byte(b) // Latin-1 view, C1 controls included
		if r := charmap.Windows1252.DecodeByte(byte(b)); b >= 0x80 && b < 0xa0 && r != utf8.RuneError {
			m[r] = byte(b)
		}
	}
	return m
}

func buildInv1258() map[rune][]byte {
	m := map[rune][]byte{}
	t := tables[CP1258]
	for b := 0; b < 256; b++ {
		if r, n := utf8.DecodeRuneInString(t[b]); n > 0 && n == len(t[b]) {
			m[r] = []byte{byte(b)}
		}
	}
	for v := uint8(1); v <= numVowels; v++ {
		for tone := uint8(1); tone < numTones; tone++ {
			for u := 0; u < 2; u++ {
				r := composed[v][tone][u]
				base, ok1 := m[composed[v][toneNone][u]]
				mark, ok2 := m[toneMark[tone]]
				if _, direct := m[r]; !direct && ok1 && ok2 {
					m[r] = append(append([]byte{}, base...), mark...)
				}
			}
		}
	}
	return m
}

// loadTable parses "HH<TAB>U+XXXX[ U+YYYY]<TAB># comment" lines; bytes
// below 0x80 default to ASCII.
func loadTable(name string) (*byteTable, error) {
	f, err := tableFiles.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var t byteTable
	for b := 0; b < 0x80; b++ {
		t[b] = string(rune(b))
	}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		b, err := strconv.ParseUint(fields[0], 16, 8)
		if err != nil || len(fields) < 2 {
			return nil, fmt.Errorf("vntext: %s dòng %d: mã byte không hợp lệ", name, n)
		}
		var sb strings.Builder
		for _, cp := range fields[1:] {
			v, err := strconv.ParseUint(strings.TrimPrefix(cp, "U+"), 16, 32)
			if err != nil || !strings.HasPrefix(cp, "U+") || !utf8.ValidRune(rune(v)) {
				return nil, fmt.Errorf("vntext: %s dòng %d: mã Unicode không hợp lệ %q", name, n, cp)
			}
			sb.WriteRune(rune(v))
		}
		t[b] = sb.String()
	}
	return &t, sc.Err()
}

// Decode converts bytes in enc to NFC Unicode. lost counts the bytes that
// had no mapping (shown as U+FFFD); for UTF8, the invalid bytes.
func Decode(b []byte, enc Encoding) (s string, lost int, err error) {
	if enc == UTF8 {
		if utf8.Valid(b) {
			return norm.NFC.String(string(b)), 0, nil
		}
		var sb strings.Builder
		for i := 0; i < len(b); {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				lost++
			}
			sb.WriteRune(r)
			i += size
		}
		return norm.NFC.String(sb.String()), lost, nil
	}
	t := tables[enc]
	if t == nil {
		return "", 0, fmt.Errorf("vntext: không hỗ trợ bảng mã %q", string(enc))
	}
	out := make([]byte, 0, len(b)+len(b)/2)
	for _, c := range b {
		if t[c] == "" {
			out = append(out, "\uFFFD"...)
			lost++
			continue
		}
		out = append(out, t[c]...)
	}
	return norm.NFC.String(string(out)), lost, nil
}

// DecodeFontString converts text a PDF extractor produced for a run in a
// legacy font, where each byte shows as its Windows-1252/Latin-1 character
// ("B¶o ®¶m" in .VnTime is "Bảo đảm", "haøng ngöôøi" in VNI-Times is "hàng
// người"), to NFC Unicode. Characters that are not such a byte pass through.
// The int counts bytes enc does not define. With UTF8 it undoes UTF-8 read
// as Windows-1252.
func DecodeFontString(s string, enc Encoding) (string, int) {
	if enc == UTF8 {
		return norm.NFC.String(lenientUTF8(fontBytes(s, inv1252))), 0
	}
	t := tables[enc]
	if t == nil {
		return norm.NFC.String(s), 0
	}
	out := make([]byte, 0, len(s)+len(s)/2)
	lost := 0
	for _, r := range s {
		b, ok := inv1252[r]
		switch {
		case !ok:
			out = utf8.AppendRune(out, r)
		case t[b] == "":
			out = append(out, "\uFFFD"...)
			lost++
		default:
			out = append(out, t[b]...)
		}
	}
	return norm.NFC.String(string(out)), lost
}

// fontBytes turns each character back into the byte a legacy reader showed
// it for; characters with no such byte stay as their UTF-8 bytes.
func fontBytes(s string, inv map[rune]byte) []byte {
	raw := make([]byte, 0, len(s))
	for _, r := range s {
		if b, ok := inv[r]; ok {
			raw = append(raw, b)
		} else {
			raw = utf8.AppendRune(raw, r)
		}
	}
	return raw
}

// FontEncoding guesses a legacy encoding from a PDF font name, with or
// without a subset prefix ("ABCDEF+"): ".VnTime", ".VnTimeH", ".VnArial",
// "VnTime" … → TCVN3; "VNI-Times", "VNI-Helve" … → VNI; "VPS …", "VISCII" →
// VISCII; otherwise "". VPS fonts have their own layout, which shares the
// VISCII idea but not all its codes; VISCII is the nearest table here, so
// text from them may need RepairMojibake or a check of SyllableValidity.
func FontEncoding(fontName string) Encoding {
	name := fontName
	if i := strings.IndexByte(name, '+'); i == 6 && isSubsetTag(name[:6]) {
		name = name[7:]
	}
	name = strings.TrimSpace(strings.TrimPrefix(name, "#2E")) // PDF name escape for '.'
	low := strings.ToLower(strings.TrimPrefix(name, "."))
	switch {
	case low == "vni" || strings.HasPrefix(low, "vni-") || strings.HasPrefix(low, "vni ") ||
		strings.HasPrefix(low, "vni_"):
		return VNI
	case strings.HasPrefix(low, "vn") && len(low) > 2 && isLetter(low[2]):
		return TCVN3
	case strings.HasPrefix(low, "tcvn") || strings.HasPrefix(low, "abc"):
		return TCVN3
	case strings.HasPrefix(low, "vps") || strings.Contains(low, "viscii"):
		return VISCII
	}
	return ""
}

// FontUppercase reports whether a TCVN3 font name is one of the all-capital
// ABC fonts (".VnTimeH", ".VnArialH" …) that draw the lowercase codes as
// capitals, so decoded text from it should be uppercased.
func FontUppercase(fontName string) bool {
	if FontEncoding(fontName) != TCVN3 {
		return false
	}
	name := fontName
	if i := strings.IndexAny(name, ",-"); i > 0 {
		name = name[:i] // drop style suffixes such as ",Bold" or "-Italic"
	}
	name = strings.TrimSpace(name)
	return strings.HasSuffix(name, "H")
}

func isSubsetTag(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }
