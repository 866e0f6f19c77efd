package extract

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"ketnoi/corpus/vntext"
)

// docxTestPart is one part of a test archive; stored parts are not compressed.
type docxTestPart struct {
	name, body string
	stored     bool
}

// docxTestZip writes an archive of parts, in order.
func docxTestZip(t testing.TB, parts ...docxTestPart) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, p := range parts {
		method := zip.Deflate
		if p.stored {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: p.name, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const docxTestNS = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" ` +
	`xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"`

// docxTestFile builds a minimal DOCX: content types, relationships, word/document.xml with body, and
// the extra parts given (styles, footnotes, docProps/core.xml...).
func docxTestFile(t testing.TB, body string, extra ...docxTestPart) []byte {
	t.Helper()
	parts := []docxTestPart{
		{name: "[Content_Types].xml", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>`},
		{name: "_rels/.rels", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>`},
		{name: "word/document.xml", body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + docxTestNS + `><w:body>` + body + `<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>`},
	}
	return docxTestZip(t, append(parts, extra...)...)
}

// docxTestRun is a run of text in a font ("" for none).
func docxTestRun(font, text string) string {
	rpr := ""
	if font != "" {
		rpr = `<w:rPr><w:rFonts w:ascii="` + font + `" w:hAnsi="` + font + `"/></w:rPr>`
	}
	return `<w:r>` + rpr + `<w:t xml:space="preserve">` + text + `</w:t></w:r>`
}

func docxTestPara(runs ...string) string { return `<w:p>` + strings.Join(runs, "") + `</w:p>` }

func docxTestExtract(t *testing.T, b []byte, lim Limits) *Document {
	t.Helper()
	doc, err := ExtractDOCX(bytes.NewReader(b), int64(len(b)), lim)
	if err != nil {
		t.Fatalf("ExtractDOCX: %v", err)
	}
	if doc.Format != FormatDOCX || len(doc.Pages) != 1 || doc.Pages[0].Rung != RungDirect || doc.Pages[0].N != 1 {
		t.Fatalf("document shape: %+v", doc)
	}
	return doc
}

// docxTestReason runs ExtractDOCX and returns the Reason of its error.
func docxTestReason(t *testing.T, b []byte, lim Limits) (Reason, string) {
	t.Helper()
	doc, err := ExtractDOCX(bytes.NewReader(b), int64(len(b)), lim)
	if err == nil {
		t.Fatalf("ExtractDOCX succeeded: %q", doc.Text())
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	return e.Reason, e.Detail
}

func TestDOCXStructure(t *testing.T) {
	body := docxTestPara(docxTestRun("", "BÁO CÁO TỔNG HỢP")) +
		`<w:p><w:pPr><w:pStyle w:val="Heading1"/><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>` +
		`<w:r><w:t>Mã số:</w:t><w:tab/><w:t>ĐT-2019-05</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>Dòng một</w:t><w:br/><w:t>dòng hai</w:t></w:r>` +
		`<w:hyperlink r:id="rId9" xmlns:r="r"><w:r><w:t xml:space="preserve"> liên kết</w:t></w:r></w:hyperlink>` +
		`<w:r><w:rPr><w:vanish/></w:rPr><w:t>ẩn</w:t></w:r>` +
		`<w:del w:id="1"><w:r><w:delText>đã xoá</w:delText></w:r></w:del>` +
		`<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>` +
		`<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>7</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>` +
		`<w:r><w:footnoteReference w:id="2"/></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Họ và tên</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Đơn vị</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Nguyễn Văn A</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Trường Đại học</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t>Quy Nhơn</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><w:txbxContent><w:p><w:r><w:t>Hộp chữ</w:t></w:r></w:p>` +
		`</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Hộp chữ</w:t></w:r></w:p>` +
		`</w:txbxContent></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:rPr><w:caps/></w:rPr><w:t>chữ hoa</w:t></w:r></w:p>`
	footnotes := `<?xml version="1.0"?><w:footnotes ` + docxTestNS + `>` +
		`<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/><w:t>---</w:t></w:r></w:p></w:footnote>` +
		`<w:footnote w:id="2"><w:p><w:r><w:t>Chú thích cuối trang.</w:t></w:r></w:p></w:footnote></w:footnotes>`
	core := `<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" ` +
		`xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Nghiên cứu sấy cá cơm</dc:title>` +
		`<dc:creator>PGS.TS. Nguyễn Văn A</dc:creator><cp:keywords>sấy, cá cơm</cp:keywords><cp:lastModifiedBy>User</cp:lastModifiedBy></cp:coreProperties>`
	b := docxTestFile(t, body, docxTestPart{name: "word/footnotes.xml", body: footnotes},
		docxTestPart{name: "docProps/core.xml", body: core})
	doc := docxTestExtract(t, b, Limits{})
	want := "BÁO CÁO TỔNG HỢP\nMã số: ĐT-2019-05\nDòng một\ndòng hai liên kết7\nHọ và tên\nĐơn vị\nNguyễn Văn A\n" +
		"Trường Đại học\nQuy Nhơn\nHộp chữ\nCHỮ HOA\nChú thích cuối trang."
	if got := doc.Text(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	md := doc.Metadata
	if md.Title != "Nghiên cứu sấy cá cơm" || len(md.Authors) != 1 || md.Authors[0] != "Nguyễn Văn A" ||
		md.Sources["title"] != "properties" || md.Sources["authors"] != "properties" || len(md.Keywords) != 2 {
		t.Errorf("metadata: %+v", md)
	}
	if doc.Pages[0].Quality != 1 || doc.Pages[0].Encoding != "" || len(doc.Warnings) != 0 {
		t.Errorf("page: %+v, warnings %v", doc.Pages[0], doc.Warnings)
	}
}

func TestDOCXLegacyFonts(t *testing.T) {
	styles := `<?xml version="1.0"?><w:styles ` + docxTestNS + `>` +
		`<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman"/></w:rPr></w:rPrDefault></w:docDefaults>` +
		`<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>` +
		`<w:style w:type="paragraph" w:styleId="VnBody"><w:basedOn w:val="Normal"/><w:rPr><w:rFonts w:ascii=".VnTime" w:hAnsi=".VnTime"/></w:rPr></w:style>` +
		`<w:style w:type="paragraph" w:styleId="VnBody2"><w:basedOn w:val="VnBody"/></w:style>` +
		`<w:style w:type="character" w:styleId="Hoa"><w:rPr><w:rFonts w:ascii=".VnTimeH" w:hAnsi=".VnTimeH"/></w:rPr></w:style>` +
		`</w:styles>`
	body := docxTestPara(docxTestRun(".VnTime", "B¶o ®¶m chÊt l­îng")) +
		docxTestPara(docxTestRun(".VnTimeH", "b¸o c¸o tæng hîp")) +
		docxTestPara(docxTestRun("VNI-Times", "haøng ngöôøi"), docxTestRun("VNI-Times", " Vieä"), docxTestRun("VNI-Times", "t Nam")) +
		`<w:p><w:pPr><w:pStyle w:val="VnBody2"/></w:pPr>` + docxTestRun("", "Tr­êng §¹i häc Quy Nh¬n") +
		`<w:r><w:rPr><w:rStyle w:val="Hoa"/></w:rPr><w:t xml:space="preserve"> tØnh b×nh ®Þnh</w:t></w:r></w:p>` +
		docxTestPara(docxTestRun("Arial", "Văn bản Unicode giữ nguyên")) +
		docxTestPara(docxTestRun(".VnTime", "Tiếng Việt Unicode trong phông .VnTime"))
	b := docxTestFile(t, body, docxTestPart{name: "word/styles.xml", body: styles})
	doc := docxTestExtract(t, b, Limits{})
	want := "Bảo đảm chất lượng\nBÁO CÁO TỔNG HỢP\nhàng người Việt Nam\nTrường Đại học Quy Nhơn TỈNH BÌNH ĐỊNH\n" +
		"Văn bản Unicode giữ nguyên\nTiếng Việt Unicode trong phông .VnTime"
	if got := doc.Text(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	if doc.Pages[0].Encoding != "tcvn3" {
		t.Errorf("encoding %q, want tcvn3", doc.Pages[0].Encoding)
	}
}

func TestDOCXMojibakeWithoutFont(t *testing.T) {
	// A legacy document whose font information was lost (converted by a tool): the text alone tells.
	body := docxTestPara(docxTestRun("Arial", "Trung t©m Quèc tÕ Khoa häc vµ Gi¸o dôc Liªn ngµnh ®­îc x©y dùng bªn bê biÓn")) +
		docxTestPara(docxTestRun("", "Quy Nhơn là thành phố ven biển")) +
		docxTestPara(docxTestRun("", "Há»“ ChÃ­ Minh lÃ  thÃ nh phá»‘ lá»›n nháº¥t"))
	doc := docxTestExtract(t, docxTestFile(t, body), Limits{})
	want := "Trung tâm Quốc tế Khoa học và Giáo dục Liên ngành được xây dựng bên bờ biển\n" +
		"Quy Nhơn là thành phố ven biển\nHồ Chí Minh là thành phố lớn nhất"
	if got := doc.Text(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	if doc.Pages[0].Encoding != "tcvn3" {
		t.Errorf("encoding %q, want tcvn3", doc.Pages[0].Encoding)
	}
}

func TestDOCXLossy(t *testing.T) {
	// ¯ (byte AF) is undefined in TCVN3: the conversion loses it and says so.
	doc := docxTestExtract(t, docxTestFile(t, docxTestPara(docxTestRun(".VnTime", "B¶o ®¶m ¯ chÊt l­îng"))), Limits{})
	if len(doc.Warnings) != 1 || doc.Warnings[0].Code != WarnLossyEncoding || doc.Pages[0].Quality >= 1 {
		t.Errorf("warnings %v, quality %v", doc.Warnings, doc.Pages[0].Quality)
	}
}

func TestDOCXErrors(t *testing.T) {
	valid := docxTestFile(t, docxTestPara(docxTestRun("", "Nội dung báo cáo đầy đủ")))
	for _, tc := range []struct {
		name string
		b    []byte
		lim  Limits
		want Reason
	}{
		{"truncated", valid[:len(valid)/2], Limits{}, ReasonMalformed},
		{"not a zip", []byte("PK\x03\x04 but nothing else of a zip file"), Limits{}, ReasonMalformed},
		{"empty", nil, Limits{}, ReasonMalformed},
		{"no text", docxTestFile(t, docxTestPara()+docxTestPara(docxTestRun("", "  "))), Limits{}, ReasonNoText},
		{"not a docx", docxTestZip(t, docxTestPart{name: "a.txt", body: "xin chào"}), Limits{}, ReasonUnsupported},
		{"broken xml", docxTestZip(t, docxTestPart{name: "word/document.xml", body: `<w:document ` + docxTestNS +
			`><w:body><w:p><w:r><w:t>dở dang`}), Limits{}, ReasonMalformed},
		{"over the limit", valid, Limits{MaxBytes: 100}, ReasonTooLarge},
		{"encrypted OOXML", docxTestCFB("EncryptionInfo", "EncryptedPackage"), Limits{}, ReasonEncrypted},
		{"legacy .doc", docxTestCFB("WordDocument", "1Table"), Limits{}, ReasonUnsupported},
		{"legacy .xls", docxTestCFB("Workbook"), Limits{}, ReasonUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := docxTestReason(t, tc.b, tc.lim)
			if got != tc.want {
				t.Errorf("reason %s (%s), want %s", got, detail, tc.want)
			}
			if tc.name == "legacy .doc" && (!strings.Contains(detail, "DOCX") || !strings.Contains(detail, "PDF")) {
				t.Errorf("detail %q does not tell staff to save as DOCX or PDF", detail)
			}
		})
	}
}

func TestDOCXZipBomb(t *testing.T) {
	// 256 MiB of spaces inside w:t deflate to about 256 KiB; honest sizes are refused before inflating.
	const big = 256 << 20
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("word/document.xml")
	w.Write([]byte(`<w:document ` + docxTestNS + `><w:body><w:p><w:r><w:t>`))
	chunk := bytes.Repeat([]byte{' '}, 1<<20)
	for i := 0; i < big>>20; i++ {
		w.Write(chunk)
	}
	w.Write([]byte(`x</w:t></w:r></w:p></w:body></w:document>`))
	zw.Close()
	bomb := buf.Bytes()
	if r, _ := docxTestReason(t, bomb, Limits{}); r != ReasonTooLarge {
		t.Errorf("bomb: reason %s, want too_large", r)
	}

	// The same bomb with a central directory that lies about the size (1 KiB): the budget stops the
	// inflation, whatever the header says.
	zr, err := zip.NewReader(bytes.NewReader(bomb), int64(len(bomb)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := zr.File[0].OpenRaw()
	if err != nil {
		t.Fatal(err)
	}
	var lied bytes.Buffer
	zw = zip.NewWriter(&lied)
	fh := zr.File[0].FileHeader
	fh.UncompressedSize64 = 1 << 10
	rw, err := zw.CreateRaw(&fh)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(rw, raw); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	if r, _ := docxTestReason(t, lied.Bytes(), Limits{MaxBytes: 1 << 20}); r != ReasonTooLarge && r != ReasonMalformed {
		t.Errorf("lying bomb: reason %s, want too_large or malformed", r)
	}

	// Too many entries.
	parts := make([]docxTestPart, docxMaxEntries+1)
	for i := range parts {
		parts[i] = docxTestPart{name: "x/" + strings.Repeat("a", i%7) + strconv.Itoa(i), stored: true}
	}
	if r, _ := docxTestReason(t, docxTestZip(t, parts...), Limits{}); r != ReasonTooLarge {
		t.Errorf("entries: reason %s, want too_large", r)
	}
}

// docxTestCFB makes an OLE compound file whose directory sector lists these streams.
func docxTestCFB(streams ...string) []byte {
	b := make([]byte, 512*4)
	copy(b, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(b[0x1E:], 9) // 512-byte sectors
	entry := func(i int, name string, typ byte) {
		e := b[512+128*i:]
		for j, r := range name {
			binary.LittleEndian.PutUint16(e[2*j:], uint16(r))
		}
		binary.LittleEndian.PutUint16(e[0x40:], uint16(2*len(name)+2))
		e[0x42] = typ
	}
	entry(0, "Root Entry", 5)
	for i, s := range streams {
		entry(i+1, s, 2)
	}
	return b
}

// FuzzDOCXBody feeds arbitrary XML as the body of a DOCX and of an ODT: extraction must end in text
// (normalized) or a typed error, never a panic.
func FuzzDOCXBody(f *testing.F) {
	f.Add(docxTestPara(docxTestRun(".VnTime", "B¶o ®¶m")) + `<w:tbl><w:tr><w:tc><w:p><w:r><w:t>ô</w:t></w:r></w:p></w:tc></w:tr></w:tbl>`)
	f.Add(`<w:p><w:r><w:rPr><w:rFonts w:hAnsi="VNI-Times"/><w:caps/></w:rPr><w:t>Vieä</w:t><w:tab/><w:br/></w:r></w:p>`)
	f.Add(`<w:p><w:r><w:txbxContent><w:p><w:r><w:t>a</w:t></w:r></w:p></w:txbxContent><w:t>b</w:t></w:r></w:p></w:p></w:r>`)
	f.Add(`<text:p text:style-name="P1">Tr­êng<text:span text:style-name="T1">x<text:s text:c="99999999999"/></text:span></text:p>`)
	f.Fuzz(func(t *testing.T, body string) {
		check := func(doc *Document, err error) {
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("error %T %v is not *Error", err, err)
				}
				return
			}
			if s := doc.Text(); !utf8.ValidString(s) || s != vntext.Normalize(s) {
				t.Fatalf("text not normalized: %q", s)
			}
		}
		b := docxTestFile(t, body)
		check(ExtractDOCX(bytes.NewReader(b), int64(len(b)), Limits{}))
		b = odtTestFile(t, `<style:style style:name="T1" style:family="text"><style:text-properties style:font-name="VNI-Times"/></style:style>`, body)
		check(ExtractODT(bytes.NewReader(b), int64(len(b)), Limits{}))
	})
}
