package indextest

import (
	"strings"

	"ketnoi/indexer"
)

// The suite's corpus: small, hand-written, realistic records. Each one is there for a test; the comments
// say which.
var (
	pagesSayCom = []string{
		"Chương 1. Tổng quan về công nghệ sấy hải sản và nhu cầu của ngư dân ven biển.",
		"Chương 2. Kết quả thử nghiệm: cá cơm sau 10 giờ sấy đạt độ ẩm 18%, màu sáng, không mốc.",
	}

	// Unaccented queries, phrases, author and organisation clauses, pages.
	docSayCom = indexer.Doc{
		ID: "kq-say-ca-com", Kind: indexer.KindResult,
		Title:        "Máy sấy cá cơm dùng năng lượng mặt trời kết hợp bơm nhiệt",
		Summary:      "Buồng sấy bằng thép không gỉ, bơm nhiệt 3 kW giữ nhiệt độ 45–55 °C khi trời âm u. Thời gian sấy giảm từ hai ngày xuống 10–12 giờ.",
		Keywords:     "máy sấy; cá cơm; năng lượng mặt trời; bơm nhiệt",
		Applications: "Chế biến hải sản khô tại các làng chài ven biển Bình Định.",
		Advantages:   "Không phụ thuộc thời tiết, sản phẩm sạch, giảm hao hụt.",
		Body:         strings.Join(pagesSayCom, "\n\n"),
		Pages:        pagesSayCom,
		FieldCodes:   []string{"2", "202"}, Sectors: []string{"C", "10", "1020"},
		IPStatus: "utility_solution", TransferForms: []string{"license_nonexclusive", "equipment"},
		Organization: "Trường Đại học Quy Nhơn", Authors: []string{"Nguyễn Văn An", "Trần Thị Bích Ngọc"},
		Province: "gia-lai", LegacyProvince: "binh-dinh", Locality: "quy-nhon", Language: "vi",
		Year: 2021, TRL: 6, PriceMin: 150_000_000, PriceMax: 250_000_000,
	}
	// "cá sấy": the reversed phrase.
	docCaSay = indexer.Doc{
		ID: "kq-ca-say-kho", Kind: indexer.KindResult,
		Title:      "Cá sấy khô tẩm gia vị đóng gói hút chân không",
		Summary:    "Sản phẩm cá sấy khô ăn liền, bảo quản sáu tháng ở nhiệt độ thường.",
		FieldCodes: []string{"2", "209"}, Sectors: []string{"C", "10"}, IPStatus: "trademark",
		TransferForms: []string{"assignment"}, Organization: "Viện Nghiên cứu Hải sản",
		Authors: []string{"Đặng Quốc Toàn"}, Province: "hai-phong", Language: "vi", Year: 2017, TRL: 7,
	}
	// "sấy ... cá": the syllables of the phrase, apart.
	docSayKhoCa = indexer.Doc{
		ID: "kq-say-kho-ca-ngu", Kind: indexer.KindResult,
		Title:      "Quy trình sấy khô cá ngừ đại dương bằng bức xạ hồng ngoại",
		Summary:    "Sấy khô nhanh, giữ màu đỏ tự nhiên của thịt cá.",
		FieldCodes: []string{"2", "209"}, Sectors: []string{"C", "10", "1020"}, IPStatus: "filed",
		TransferForms: []string{"license_exclusive"}, Organization: "Trường Đại học Nha Trang",
		Authors: []string{"Lưu Thanh Tùng"}, Province: "khanh-hoa", Language: "vi", Year: 2020, TRL: 5,
	}
	// "hòa" with the exact diacritics.
	docHoaGiai = indexer.Doc{
		ID: "kq-hoa-giai", Kind: indexer.KindResult,
		Title:      "Hòa giải tranh chấp đất đai ở nông thôn",
		Summary:    "Mô hình tổ hòa giải cơ sở gắn với già làng, trưởng bản.",
		FieldCodes: []string{"5", "505"}, IPStatus: "none", Organization: "Học viện Tư pháp",
		Authors: []string{"Bùi Thị Thanh"}, Province: "ha-noi", Language: "vi", Year: 2019,
	}
	// "hoa" without diacritics: found by "hòa", ranked below docHoaGiai; "hoa học" is not "hóa học".
	docHoaLan = indexer.Doc{
		ID: "kq-hoa-lan", Kind: indexer.KindResult,
		Title:      "Kỹ thuật trồng hoa lan hồ điệp trong nhà màng",
		Summary:    "Nhân giống lan bằng nuôi cấy mô, ra hoa đúng dịp Tết; trồng thêm hoa học trò làm bóng mát.",
		FieldCodes: []string{"4", "401"}, Sectors: []string{"A", "01"}, IPStatus: "none",
		TransferForms: []string{"consulting_training"}, Organization: "Trung tâm Ứng dụng tiến bộ khoa học Lâm Đồng",
		Authors: []string{"Phan Văn Long"}, Province: "lam-dong", Language: "vi", Year: 2020, TRL: 7,
	}
	// "hóa": another spelling folded onto "hoa".
	docPhanBon = indexer.Doc{
		ID: "kq-phan-bon", Kind: indexer.KindResult,
		Title:        "Phân bón hữu cơ vi sinh thay thế một phần phân hóa học",
		Summary:      "Chủng Trichoderma và Bacillus phân giải rơm rạ, vỏ cà phê trong 35 ngày.",
		Applications: "Cà phê, hồ tiêu, sầu riêng ở Tây Nguyên.",
		FieldCodes:   []string{"4", "401"}, Sectors: []string{"A", "01", "C", "20"}, IPStatus: "patent",
		TransferForms: []string{"license_nonexclusive", "consulting_training"}, Organization: "Viện Khoa học Nông nghiệp Tây Nguyên",
		Authors: []string{"Hồ Sĩ Công"}, Province: "dak-lak", Language: "vi", Year: 2018, TRL: 8,
	}
	// "lúa": excluded words and phrases.
	docDaoOn = indexer.Doc{
		ID: "kq-dao-on", Kind: indexer.KindResult,
		Title:      "Ứng dụng trí tuệ nhân tạo chẩn đoán sớm bệnh đạo ôn trên lúa",
		Summary:    "Ứng dụng trên điện thoại nhận dạng bệnh đạo ôn từ ảnh lá lúa với độ chính xác 94,6%.",
		Keywords:   "học sâu; đạo ôn; lúa; bảo vệ thực vật",
		FieldCodes: []string{"1", "102", "4", "401"}, Sectors: []string{"A", "01", "J", "62"}, IPStatus: "copyright",
		TransferForms: []string{"license_nonexclusive"}, Organization: "Viện Lúa Đồng bằng sông Cửu Long",
		Authors: []string{"Lê Hoàng Phúc"}, Province: "can-tho", Language: "vi", Year: 2022, TRL: 5,
	}
	docLuaMan = indexer.Doc{
		ID: "kq-lua-chiu-man", Kind: indexer.KindResult,
		Title:      "Chọn tạo giống lúa chịu mặn ngắn ngày cho vùng ven biển",
		Summary:    "Hai dòng lúa chịu mặn 4–6‰, thời gian sinh trưởng 95–100 ngày, năng suất 6–7 tấn/ha.",
		FieldCodes: []string{"4", "401"}, Sectors: []string{"A", "01"}, IPStatus: "plant_variety",
		TransferForms: []string{"assignment", "license_exclusive"}, Organization: "Viện Lúa Đồng bằng sông Cửu Long",
		Authors: []string{"Nguyễn Văn Bình"}, Province: "vinh-long", LegacyProvince: "tra-vinh", Language: "vi",
		Year: 2023, TRL: 7,
	}
	docNuocThai = indexer.Doc{
		ID: "kq-nuoc-thai", Kind: indexer.KindResult,
		Title:      "Xử lý nước thải chế biến thủy sản bằng công nghệ MBR kết hợp UASB",
		Summary:    "Thu hồi khí sinh học, nước sau xử lý đạt cột A QCVN 11-MT:2015/BTNMT.",
		Body:       "Giai đoạn kỵ khí chuyển phần lớn chất hữu cơ thành mê-tan; màng siêu lọc giữ lại bùn hoạt tính.",
		FieldCodes: []string{"2", "207"}, Sectors: []string{"E", "37"}, IPStatus: "patent",
		TransferForms: []string{"assignment", "equipment"}, Organization: "Viện Môi trường và Tài nguyên",
		Authors: []string{"Phạm Thu Hà"}, Province: "ho-chi-minh", Language: "vi", Year: 2022, TRL: 6,
	}
	// Markup in the text: must come out escaped.
	docScript = indexer.Doc{
		ID: "kq-xss", Kind: indexer.KindResult,
		Title:      `Phát hiện mã độc <script>alert("x")</script> & tấn công XSS trên web`,
		Summary:    `Bộ lọc chặn thẻ <script> và thuộc tính onerror="..." trong biểu mẫu.`,
		FieldCodes: []string{"1", "102"}, Sectors: []string{"J", "62"}, IPStatus: "copyright",
		Organization: "Đại học Bách khoa Hà Nội", Authors: []string{"Vũ Minh Khôi"}, Province: "ha-noi",
		Language: "vi", Year: 2024, TRL: 4,
	}
	docNano = indexer.Doc{
		ID: "kq-nano-bac", Kind: indexer.KindResult,
		Title:      "Màng chitosan nano bạc bảo quản trái cây sau thu hoạch",
		Summary:    "Chitosan chiết từ vỏ tôm; màng phủ kéo dài thời gian bảo quản xoài, thanh long thêm 7–10 ngày.",
		FieldCodes: []string{"2", "210"}, Sectors: []string{"C", "10"}, IPStatus: "filed",
		TransferForms: []string{"joint_development"}, Organization: "Trường Đại học Quy Nhơn",
		Authors: []string{"Võ Thị Mai"}, Province: "gia-lai", LegacyProvince: "binh-dinh", Locality: "an-nhon",
		Language: "vi", Year: 2020, TRL: 5,
	}
	// No year: sorted last, outside every year filter.
	docRobot = indexer.Doc{
		ID: "kq-robot-nam", Kind: indexer.KindResult,
		Title:      "Robot tự hành thu hoạch nấm trong nhà trồng",
		Summary:    "Camera độ sâu và cánh tay mềm hái 900 cây nấm mỗi giờ.",
		FieldCodes: []string{"2", "202"}, Sectors: []string{"A", "01"}, IPStatus: "none",
		Organization: "Đại học Bách khoa Hà Nội", Authors: []string{"Đỗ Quang Huy"}, Province: "ha-noi",
		Language: "vi", TRL: 4,
	}
	docDenLED = indexer.Doc{
		ID: "kq-den-led", Kind: indexer.KindResult,
		Title:      "Chiếu sáng công cộng thông minh bằng đèn LED điều khiển từ xa",
		Summary:    "Tiết kiệm 48% điện năng trên 12 km đường ven biển.",
		FieldCodes: []string{"2", "202"}, Sectors: []string{"D", "35"}, IPStatus: "none",
		TransferForms: []string{"equipment", "consulting_training"}, Organization: "Công ty Cổ phần Điện chiếu sáng Quy Nhơn",
		Authors: []string{"Trương Văn Sơn"}, Province: "gia-lai", LegacyProvince: "binh-dinh", Locality: "quy-nhon",
		Language: "vi", Year: 2021, TRL: 8,
	}
	docVacxin = indexer.Doc{
		ID: "kq-vac-xin", Kind: indexer.KindResult,
		Title:      "Vắc-xin phòng bệnh tai xanh cho lợn từ chủng vi-rút trong nước",
		Summary:    "Kháng thể bảo hộ sau 14 ngày tiêm.",
		FieldCodes: []string{"4", "403"}, Sectors: []string{"C", "21"}, IPStatus: "patent",
		TransferForms: []string{"assignment"}, Organization: "Viện Thú y",
		Authors: []string{"Ngô Thị Hạnh"}, Province: "ha-noi", Language: "vi", Year: 2019, TRL: 6,
	}
	docPin = indexer.Doc{
		ID: "kq-tai-che-pin", Kind: indexer.KindResult,
		Title:      "Tái chế pin lithium-ion thu hồi coban, niken và liti",
		Summary:    "Thủy luyện bằng axit hữu cơ, hiệu suất thu hồi trên 95%.",
		FieldCodes: []string{"2", "205"}, Sectors: []string{"E", "38"}, IPStatus: "filed",
		TransferForms: []string{"joint_development"}, Organization: "Viện Khoa học Vật liệu",
		Authors: []string{"Tạ Minh Đức"}, Province: "ha-noi", Language: "vi", Year: 2023, TRL: 4,
	}

	// Needs: one per confidentiality level. Only the public one names its enterprise (indexer.DocFromRecord).
	needPublic = indexer.Doc{
		ID: "nc-nuoc-thai", Kind: indexer.KindNeed, Confidentiality: "public",
		Title:      "Cần công nghệ xử lý nước thải thủy sản đạt cột A",
		Body:       "Lưu lượng 800 m³ mỗi ngày đêm, mặt bằng hạn chế, ưu tiên tận thu khí sinh học.",
		FieldCodes: []string{"2", "207"}, Sectors: []string{"C", "10"}, TransferForms: []string{"equipment"},
		Organization: "Công ty Cổ phần Thủy sản Nhơn Hội", Province: "gia-lai", LegacyProvince: "binh-dinh",
		Locality: "quy-nhon", TRL: 6, PriceMax: 5_000_000_000,
	}
	needAnon = indexer.Doc{
		ID: "nc-bui-go", Kind: indexer.KindNeed, Confidentiality: "anonymised",
		Title:      "Cần giải pháp thu gom bụi gỗ mịn tại xưởng chà nhám",
		Body:       "Giảm nồng độ bụi và nguy cơ cháy nổ; bụi thu được ép viên làm chất đốt.",
		FieldCodes: []string{"2", "207"}, Sectors: []string{"C", "31"}, TransferForms: []string{"equipment"},
		Province: "gia-lai", LegacyProvince: "binh-dinh", Locality: "an-nhon", TRL: 7,
	}
	needBroker = indexer.Doc{
		ID: "nc-may-say", Kind: indexer.KindNeed, Confidentiality: "broker_only",
		Title:      "Cần máy sấy nông sản quy mô nhỏ cho hợp tác xã",
		Body:       "Sấy cá cơm, mực và xoài trong lò tuynen; công suất 500 kg mỗi mẻ.",
		FieldCodes: []string{"2", "202"}, Sectors: []string{"A", "01"}, TransferForms: []string{"equipment"},
		Province: "gia-lai", LegacyProvince: "binh-dinh", Locality: "quy-nhon", TRL: 6,
	}
)

// corpusDocs returns fresh copies of the suite's documents.
func corpusDocs() []indexer.Doc {
	return []indexer.Doc{docSayCom, docCaSay, docSayKhoCa, docHoaGiai, docHoaLan, docPhanBon, docDaoOn, docLuaMan,
		docNuocThai, docScript, docNano, docRobot, docDenLED, docVacxin, docPin, needPublic, needAnon, needBroker}
}

func docByID(id string) *indexer.Doc {
	for _, d := range corpusDocs() {
		if d.ID == id {
			return &d
		}
	}
	return nil
}
