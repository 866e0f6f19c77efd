package extract

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// coverUpdate is the -update flag: rewrite the golden files of testdata/cover. It reuses a flag of the
// same name that another test file of the package defined first, so the two cannot clash.
var coverUpdate = func() func() bool {
	if f := flag.Lookup("update"); f != nil {
		return func() bool { return f.Value.String() == "true" }
	}
	p := flag.Bool("update", false, "rewrite golden files")
	return func() bool { return *p }
}()

// coverCases are realistic covers; each has its expected metadata in testdata/cover/NAME.json.
var coverCases = []struct {
	name  string
	pages []string
}{
	{"tinh_binh_dinh", []string{`BỘ KHOA HỌC VÀ CÔNG NGHỆ
UBND TỈNH BÌNH ĐỊNH
SỞ KHOA HỌC VÀ CÔNG NGHỆ
BÁO CÁO TỔNG HỢP KẾT QUẢ ĐỀ TÀI KHOA HỌC VÀ CÔNG NGHỆ CẤP TỈNH
NGHIÊN CỨU QUY TRÌNH SẤY CÁ CƠM
BẰNG NĂNG LƯỢNG MẶT TRỜI KẾT HỢP BƠM NHIỆT
Mã số: ĐT-2019-05
Chủ nhiệm đề tài: PGS.TS. Nguyễn Văn A
Cơ quan chủ trì: Trường Đại học Quy Nhơn
Bình Định, 2020`, `TÓM TẮT
Đề tài nghiên cứu quy trình sấy cá cơm bằng năng lượng mặt trời kết hợp bơm nhiệt nhằm nâng cao
chất lượng sản phẩm và giảm chi phí năng lượng cho các cơ sở chế biến.
Kết quả cho thấy thời gian sấy giảm 30% so với phơi nắng truyền thống.

MỤC LỤC
1. Mở đầu`}},
	{"khong_dau", []string{`UY BAN NHAN DAN TINH BINH DINH
SO KHOA HOC VA CONG NGHE
BAO CAO TOM TAT
DE TAI: UNG DUNG CONG NGHE SINH HOC TRONG SAN XUAT GIONG LUA
CHU NHIEM DE TAI: THS. TRAN THI B
CO QUAN CHU TRI DE TAI: VIEN KHOA HOC NONG NGHIEP DUYEN HAI NAM TRUNG BO
MA SO: 12/2018/HD-SKHCN
QUY NHON - 2019`}},
	{"nhan_rieng_dong", []string{`BỘ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN
VIỆN NGHIÊN CỨU HẢI SẢN

BÁO CÁO TỔNG KẾT
KẾT QUẢ THỰC HIỆN NHIỆM VỤ KHOA HỌC VÀ CÔNG NGHỆ

ĐÁNH GIÁ NGUỒN LỢI HẢI SẢN VÙNG BIỂN

VEN BỜ TỈNH BÌNH ĐỊNH

CHỦ NHIỆM ĐỀ TÀI:
(ký, ghi rõ họ tên)
GS.TSKH. Lê Văn C

CƠ QUAN CHỦ TRÌ:
Viện Nghiên cứu Hải sản

Các thành viên tham gia:
1. TS. Phạm Thị D
2. ThS. Hoàng Văn E
3. KS. Võ Thị F

Hải Phòng, tháng 12 năm 2021`}},
	{"nfd", []string{norm.NFD.String(`ĐẠI HỌC QUỐC GIA HÀ NỘI
TRƯỜNG ĐẠI HỌC KHOA HỌC TỰ NHIÊN
BÁO CÁO KẾT QUẢ
ĐỀ TÀI NGHIÊN CỨU KHOA HỌC CẤP ĐẠI HỌC QUỐC GIA
Tên đề tài: Phân tích hàm lượng kim loại nặng trong trầm tích sông Hà Thanh
Mã số đề tài: QG.20.15
Chủ nhiệm đề tài: PGS TS Ngô Thị Hồng
Cơ quan chủ trì đề tài: Trường Đại học Khoa học Tự nhiên
Quy Nhơn, tháng 12 năm 2020`)}},
	{"thieu_truong", []string{`TRƯỜNG ĐẠI HỌC QUY NHƠN
KHOA CÔNG NGHỆ THÔNG TIN
XÂY DỰNG HỆ THỐNG TÌM KIẾM
VĂN BẢN TIẾNG VIỆT
Năm 2022`}},
	{"mau_phieu", []string{`PHIẾU THÔNG TIN KẾT QUẢ NGHIÊN CỨU
1. Tên đề tài: Nghiên cứu ứng dụng trí tuệ nhân tạo trong dự báo lũ lụt
tại lưu vực sông Kôn
2. Mã số đề tài: KHCN-2023-11
3. Chủ nhiệm: Th.S Đặng Thị Giang
4. Thành viên: TS. Ngô Văn Hải; KS. Lý Thị Ivy
5. Tổ chức chủ trì: Trung tâm Khí tượng Thủy văn tỉnh Bình Định
TÓM TẮT KẾT QUẢ NGHIÊN CỨU
Nghiên cứu đã xây dựng mô hình học sâu dự báo mực nước lũ tại các trạm thủy văn trên lưu vực
sông Kôn với thời gian dự kiến từ sáu đến hai mươi bốn giờ, sử dụng số liệu mưa, mực nước và
ảnh vệ tinh. Mô hình được kiểm định trên chuỗi số liệu các năm 2010 đến 2022 và cho sai số nhỏ
hơn các mô hình thống kê đang dùng tại địa phương.

Kết quả được chuyển giao cho đài khí tượng thủy văn tỉnh.
Từ khóa: trí tuệ nhân tạo; dự báo lũ; sông Kôn`}},
	{"bang_thanh_vien", []string{`SỞ KHOA HỌC VÀ CÔNG NGHỆ BÌNH ĐỊNH
BÁO CÁO TÓM TẮT
ĐIỀU TRA HIỆN TRẠNG RỪNG NGẬP MẶN ĐẦM THỊ NẠI
Chủ nhiệm đề tài
TS. Huỳnh Minh Khoa
Đơn vị chủ trì
Trung tâm Ứng dụng tiến bộ khoa học và công nghệ
DANH SÁCH THÀNH VIÊN THAM GIA
TT
Họ và tên
Đơn vị công tác
1
TS. Huỳnh Minh Khoa
Trung tâm Ứng dụng tiến bộ khoa học và công nghệ
2
ThS.NCS. Trần Thị Lan
Trường Đại học Quy Nhơn
3
KS. Nguyễn Văn Mạnh
Chi cục Kiểm lâm
Bình Định - 2018`}},
	{"bao_cao_tom_tat", []string{`TRƯỜNG ĐẠI HỌC QUY NHƠN
BÁO CÁO
TÓM TẮT
KẾT QUẢ ĐỀ TÀI KHOA HỌC CẤP TRƯỜNG
TỔNG HỢP VẬT LIỆU NANO TỪ VỎ TRẤU
ỨNG DỤNG XỬ LÝ NƯỚC THẢI
Mã số: T2021.05
Chủ nhiệm đề tài: TS. Võ Văn Tiến
Thành viên:
ThS. Lê Thị Mai
CN. Đỗ Minh Quân
Quy Nhơn, 2021`, `TÓM TẮT
Vỏ trấu được nung và hoạt hóa để tạo vật liệu hấp phụ có diện tích bề mặt lớn.
Vật liệu loại bỏ trên 90% kim loại nặng trong nước thải mạ điện.
1. Mở đầu
Nội dung chương một.`}},
	{"tieng_anh", []string{`QUY NHON UNIVERSITY
BÁO CÁO TỔNG KẾT ĐỀ TÀI CẤP CƠ SỞ
Mô hình hóa sự lan truyền mặn
ở cửa sông Hà Thanh`, `Chủ nhiệm đề tài: Tiến sĩ Phan Văn Nam
Quy Nhơn, 2017
ABSTRACT
This project models salinity intrusion in the Ha Thanh estuary using a one-dimensional
hydrodynamic model calibrated against field data.
CHƯƠNG 1`}},
}

func TestCoverMetadata(t *testing.T) {
	for _, tc := range coverCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.MarshalIndent(CoverMetadata(tc.pages), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "cover", tc.name+".json")
			if coverUpdate() {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCover -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("metadata differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func TestCoverPersonName(t *testing.T) {
	for in, want := range map[string]string{
		"PGS.TS. Nguyễn Văn A":            "Nguyễn Văn A",
		"PGS. TS. Nguyễn Văn A":           "Nguyễn Văn A",
		"GS.TSKH Lê Văn C":                "Lê Văn C",
		"Th.S Đặng Thị G":                 "Đặng Thị G",
		"Ths. Trần Thị B":                 "Trần Thị B",
		"ThS.BS.CKII Võ Thị Hoa":          "Võ Thị Hoa",
		"Kỹ sư Phan Văn Nam":              "Phan Văn Nam",
		"Thạc sĩ Lý Thị Ivy":              "Lý Thị Ivy",
		"Phó Giáo sư, Tiến sĩ Bùi Đức T":  "Bùi Đức T",
		"NCS. Hồ Thị Thu":                 "Hồ Thị Thu",
		"TS.Nguyễn Văn An":                "Nguyễn Văn An",
		"Ông Nguyễn Văn Ba":               "Nguyễn Văn Ba",
		"PGS.TS. NGUYỄN VĂN A":            "Nguyễn Văn A",
		"2. CN. Lê Thị Hà - Trưởng phòng": "Lê Thị Hà",
		"TS. Trần Văn Khoa, Trường ĐH":    "Trần Văn Khoa",
		"Trường Đại học Quy Nhơn":         "",
		"Viện Nghiên cứu Hải sản":         "",
		"Admin":                           "",
		"đề tài cấp tỉnh":                 "",
	} {
		if got := textPersonName(in); got != want {
			t.Errorf("textPersonName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInfoMetadata(t *testing.T) {
	created := time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		title, author, subject, keywords string
		wantTitle                        string
		wantAuthors                      []string
	}{
		{"Microsoft Word - baocao_tonghop.doc", "User", "", "", "", nil},
		{"Untitled", "Admin", "", "", "", nil},
		{"baocao.pdf", "Windows User", "", "", "", nil},
		{"BCTH", "DELL-PC", "", "", "", nil},
		{"C:\\Users\\a\\Desktop\\bao cao.docx", "Administrator", "", "", "", nil},
		{"Nghi?n c?u s?y c? c?m", "nguoi dung", "", "", "", nil},
		{"NGHIÊN CỨU QUY TRÌNH SẤY CÁ CƠM", "PGS.TS. Nguyễn Văn A; Trần Thị B", "", "", "Nghiên cứu quy trình sấy cá cơm",
			[]string{"Nguyễn Văn A", "Trần Thị B"}},
		{"Báo cáo tổng hợp đề tài", "Nguyen Van Hai", "", "", "Báo cáo tổng hợp đề tài", []string{"Nguyen Van Hai"}},
	} {
		md := InfoMetadata(tc.title, tc.author, tc.subject, tc.keywords, created)
		if md.Title != tc.wantTitle || !reflect.DeepEqual(md.Authors, tc.wantAuthors) {
			t.Errorf("InfoMetadata(%q, %q) = %q %q, want %q %q", tc.title, tc.author, md.Title, md.Authors,
				tc.wantTitle, tc.wantAuthors)
		}
		if md.Year != 2019 || md.Sources["year"] != "info" {
			t.Errorf("InfoMetadata year = %d (%q), want 2019 from info", md.Year, md.Sources["year"])
		}
		if md.Title != "" && md.Sources["title"] != "info" {
			t.Errorf("title source = %q, want info", md.Sources["title"])
		}
	}
	md := InfoMetadata("", "", "", "", time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC))
	if md.Year != 0 || md.Sources != nil {
		t.Errorf("implausible year kept: %+v", md)
	}
	md = InfoMetadata("Bảo tồn rạn san hô", "", strings.Repeat("nghiên cứu bảo tồn rạn san hô ", 3), "san hô, bảo tồn;  ;Quy Nhơn", time.Time{})
	if md.Abstract == "" || !reflect.DeepEqual(md.Keywords, []string{"san hô", "bảo tồn", "Quy Nhơn"}) {
		t.Errorf("subject/keywords: %+v", md)
	}
}

func TestMergeMetadata(t *testing.T) {
	info := InfoMetadata("Báo cáo tổng hợp đề tài", "Nguyen Van Hai", "", "", time.Date(2021, 3, 1, 0, 0, 0, 0, time.UTC))
	props := Metadata{Title: "Bản nháp báo cáo", Keywords: []string{"sấy"}, Sources: map[string]string{"title": "properties", "keywords": "properties"}}
	cover := CoverMetadata(coverCases[0].pages)
	sidecar := Metadata{Title: "Tiêu đề do cán bộ nhập", Code: "ĐT-2019-05A", Sources: map[string]string{"title": "sidecar", "code": "sidecar"}}
	got := MergeMetadata(info, props, cover, sidecar)
	want := Metadata{
		Title: "Tiêu đề do cán bộ nhập", Authors: []string{"Nguyễn Văn A"}, Organization: "Trường Đại học Quy Nhơn",
		Code: "ĐT-2019-05A", Place: "Bình Định", Year: 2020, Abstract: cover.Abstract, Keywords: []string{"sấy"},
		Sources: map[string]string{"title": "sidecar", "authors": "cover", "organization": "cover", "code": "sidecar",
			"place": "cover", "year": "cover", "abstract": "cover", "keywords": "properties"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("MergeMetadata:\ngot  %+v\nwant %+v", got, want)
	}
	if m := MergeMetadata(); m.Sources != nil || m.Title != "" {
		t.Errorf("MergeMetadata() = %+v, want zero", m)
	}
	// A layer without a source for a field it sets drops the older source rather than keep a wrong one.
	if m := MergeMetadata(info, Metadata{Title: "X y"}); m.Sources["title"] != "" || m.Sources["year"] != "info" {
		t.Errorf("sources = %v", m.Sources)
	}
}

// coverCheckNFC fails when a metadata string is not valid NFC UTF-8 or a year is implausible.
func coverCheckNFC(t *testing.T, md Metadata) {
	t.Helper()
	all := append([]string{md.Title, md.Organization, md.Code, md.Place, md.Abstract}, md.Authors...)
	for _, s := range append(all, md.Keywords...) {
		if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) {
			t.Fatalf("not NFC: %q", s)
		}
	}
	if md.Year != 0 && (md.Year < 1975 || md.Year > time.Now().Year()+1) {
		t.Fatalf("year %d", md.Year)
	}
}

func FuzzCoverMetadata(f *testing.F) {
	for _, tc := range coverCases {
		f.Add(strings.Join(tc.pages, "\f"))
	}
	f.Fuzz(func(t *testing.T, s string) {
		md := CoverMetadata(strings.Split(s, "\f"))
		coverCheckNFC(t, md)
		for field := range md.Sources {
			if md.Sources[field] != "cover" {
				t.Fatalf("source %q = %q", field, md.Sources[field])
			}
		}
		coverCheckNFC(t, InfoMetadata(s, s, s, s, time.Time{}))
	})
}

func BenchmarkCoverMetadata(b *testing.B) {
	// A whole DOCX passed as one page: the cover, then long body text.
	page := coverCases[0].pages[0] + "\n" + strings.Repeat(textSample+"\n", 2000)
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		CoverMetadata([]string{page})
	}
}
