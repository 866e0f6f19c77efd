package extract

import (
	"bytes"
	"testing"
)

const odtTestNS = `xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" ` +
	`xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" ` +
	`xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" ` +
	`xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" ` +
	`xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" ` +
	`xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" ` +
	`xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" ` +
	`xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"`

// odtTestFile builds a minimal ODT: mimetype (stored, first), manifest, content.xml with these
// automatic styles and body, and the extra parts given.
func odtTestFile(t testing.TB, autoStyles, body string, extra ...docxTestPart) []byte {
	t.Helper()
	parts := []docxTestPart{
		{name: "mimetype", body: "application/vnd.oasis.opendocument.text", stored: true},
		{name: "META-INF/manifest.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>`},
		{name: "content.xml", body: `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content ` + odtTestNS + ` office:version="1.3">
<office:font-face-decls>
  <style:font-face style:name=".VnTime" svg:font-family="&apos;.VnTime&apos;"/>
  <style:font-face style:name="VNI-Times" svg:font-family="&apos;VNI-Times&apos;"/>
</office:font-face-decls>
<office:automatic-styles>` + autoStyles + `</office:automatic-styles>
<office:body>
  <office:text>
    <text:sequence-decls><text:sequence-decl text:display-outline-level="0" text:name="Table"/></text:sequence-decls>
    ` + body + `
  </office:text>
</office:body>
</office:document-content>`},
	}
	return docxTestZip(t, append(parts, extra...)...)
}

func TestODT(t *testing.T) {
	styles := `<?xml version="1.0" encoding="UTF-8"?><office:document-styles ` + odtTestNS + `>
<office:font-face-decls><style:font-face style:name="VnArial" svg:font-family=".VnArial"/></office:font-face-decls>
<office:styles>
  <style:default-style style:family="paragraph"><style:text-properties style:font-name="Liberation Serif"/></style:default-style>
  <style:style style:name="Standard" style:family="paragraph"/>
  <style:style style:name="VnBody" style:family="paragraph" style:parent-style-name="Standard">
    <style:text-properties style:font-name="VnArial"/></style:style>
</office:styles>
<office:master-styles><style:master-page style:name="Standard"><style:header><text:p>Đầu trang</text:p></style:header></style:master-page></office:master-styles>
</office:document-styles>`
	auto := `<style:style style:name="P1" style:family="paragraph" style:parent-style-name="VnBody"/>
<style:style style:name="T1" style:family="text"><style:text-properties style:font-name="VNI-Times"/></style:style>
<style:style style:name="T2" style:family="text"><style:text-properties fo:font-family="'.VnTimeH'"/></style:style>`
	body := `<text:h text:outline-level="1">BÁO CÁO TỔNG HỢP</text:h>
    <text:p text:style-name="Standard">Mã số:<text:tab/>ĐT-2019-05<text:s text:c="3"/>hết<text:line-break/>dòng hai</text:p>
    <text:p text:style-name="P1">Tr­êng §¹i häc <text:span text:style-name="T1">Quy Nhôn</text:span> <text:span text:style-name="T2">b×nh ®Þnh</text:span></text:p>
    <text:list><text:list-item><text:p>Mục một<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>
      <text:note-body><text:p>Chú thích.</text:p></text:note-body></text:note></text:p></text:list-item></text:list>
    <table:table><table:table-row><table:table-cell><text:p>Ô một</text:p></table:table-cell>
      <table:table-cell><text:p>Ô hai</text:p></table:table-cell></table:table-row></table:table>
    <text:p><draw:frame><svg:title>ảnh</svg:title><draw:text-box><text:p>Hộp chữ</text:p></draw:text-box></draw:frame></text:p>
    <text:tracked-changes><text:changed-region><text:deletion><text:p>đã xoá</text:p></text:deletion></text:changed-region></text:tracked-changes>`
	meta := `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ` + odtTestNS + `><office:meta>
<dc:title>NGHIÊN CỨU SẤY CÁ CƠM</dc:title><meta:initial-creator>TS. Trần Thị B</meta:initial-creator><dc:creator>Admin</dc:creator>
<meta:keyword>sấy</meta:keyword><meta:keyword>cá cơm</meta:keyword></office:meta></office:document-meta>`
	b := odtTestFile(t, auto, body, docxTestPart{name: "styles.xml", body: styles}, docxTestPart{name: "meta.xml", body: meta})
	doc, err := ExtractODT(bytes.NewReader(b), int64(len(b)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := "BÁO CÁO TỔNG HỢP\nMã số: ĐT-2019-05 hết\ndòng hai\nTrường Đại học Quy Nhơn BÌNH ĐỊNH\nMục một\nÔ một\nÔ hai\n" +
		"Hộp chữ\n\nChú thích."
	if doc.Format != FormatODT || len(doc.Pages) != 1 || doc.Pages[0].Text != want {
		t.Errorf("text:\n%q\nwant:\n%q", doc.Text(), want)
	}
	if doc.Pages[0].Encoding != "tcvn3" {
		t.Errorf("encoding %q", doc.Pages[0].Encoding)
	}
	md := doc.Metadata
	if md.Title != "Nghiên cứu sấy cá cơm" || len(md.Authors) != 1 || md.Authors[0] != "Trần Thị B" ||
		len(md.Keywords) != 2 || md.Sources["title"] != "properties" {
		t.Errorf("metadata %+v", md)
	}
}

func TestODTErrors(t *testing.T) {
	enc := odtTestFile(t, "", `<text:p>x</text:p>`)
	encrypted := docxTestZip(t,
		docxTestPart{name: "mimetype", body: "application/vnd.oasis.opendocument.text", stored: true},
		docxTestPart{name: "META-INF/manifest.xml", body: `<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="1234">
<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB"/>
</manifest:encryption-data></manifest:file-entry></manifest:manifest>`},
		docxTestPart{name: "content.xml", body: "\x8f\x01binary"})
	for _, tc := range []struct {
		name string
		b    []byte
		want Reason
	}{
		{"encrypted", encrypted, ReasonEncrypted},
		{"no text", odtTestFile(t, "", `<text:p> </text:p>`), ReasonNoText},
		{"truncated", enc[:len(enc)-40], ReasonMalformed},
		{"no content", docxTestZip(t, docxTestPart{name: "mimetype", body: "x"}), ReasonUnsupported},
		{"cfb", docxTestCFB("WordDocument"), ReasonUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ExtractODT(bytes.NewReader(tc.b), int64(len(tc.b)), Limits{})
			if e, ok := err.(*Error); !ok || e.Reason != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
	// A DOCX dispatcher that gets an ODT (same ZIP signature) still reads it.
	b := odtTestFile(t, "", `<text:p>Xin chào</text:p>`)
	if doc, err := ExtractDOCX(bytes.NewReader(b), int64(len(b)), Limits{}); err != nil || doc.Text() != "Xin chào" || doc.Format != FormatODT {
		t.Errorf("ExtractDOCX on ODT: %v %+v", err, doc)
	}
}
