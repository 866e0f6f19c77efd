package server

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"ketnoi/corpus"
	"ketnoi/market"
)

// The statistics page (/thong-ke) and its figures as JSON and CSV (/api/v1/stats/market): one
// market.Report, the one `ketnoi stats` prints. Aggregates only: no enterprise, no need's text.

const statsPath = "/thong-ke"

// statTable is one table of the page: a caption, column headings, and rows of numbers; Stat and the rows'
// keys name the figures in the JSON (data-stat, data-key), so a reader or a test can match them.
type statTable struct {
	Stat, Caption string
	Head          []string
	Rows          []statRow
}

type statRow struct {
	Key, Label string
	Values     []string // formatted: counts, percentages
	Nums       []int    // the counts, for data-n
	Note       string   // a last text column (the sector's balance)
}

// statBlock is a chart with its table.
type statBlock struct {
	Chart chart
	Table statTable
}

type statsPage struct {
	R      *market.Report
	Blocks []statBlock
	Now    string
}

func (s *Server) marketReport(ctx context.Context) (*market.Report, error) {
	return s.marketFigures.get(ctx, s.store, func() (*market.Report, error) { return market.Collect(s.store, time.Now()) })
}

func (s *Server) webStats(c echo.Context) error {
	r, err := s.marketReport(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "stats.html", statsPage{R: r, Blocks: statBlocks(r),
		Now: time.Now().In(corpus.Vietnam).Format("02/01/2006 15:04")})
}

func (s *Server) apiStatsMarket(c echo.Context) error {
	format, err := formatParam(c, "json", "csv")
	if err != nil {
		return err
	}
	r, err := s.marketReport(c.Request().Context())
	if err != nil {
		return err
	}
	if format == "json" {
		return c.JSON(http.StatusOK, r)
	}
	return sendCSV(c, "thong-ke", func(w io.Writer) error { return writeStatsCSV(w, r) })
}

// writeStatsCSV writes every table of the page in one long CSV: table, key, label, measure, value.
func writeStatsCSV(w io.Writer, r *market.Report) error {
	out := newCSV(w)
	out.Write([]string{"bang", "ma", "nhan", "chi_so", "gia_tri"})
	for _, b := range statBlocks(r) {
		t := b.Table
		for _, row := range t.Rows {
			for i, v := range row.Values {
				out.Write([]string{t.Stat, row.Key, row.Label, t.Head[i+1], v})
			}
			if row.Note != "" {
				out.Write([]string{t.Stat, row.Key, row.Label, t.Head[len(t.Head)-1], row.Note})
			}
		}
	}
	return out.Flush()
}

var (
	oneSeries    = []chartSeries{{Class: "s0"}}
	supplyDemand = []chartSeries{{Name: "Nhu cầu đang mở (%)", Class: "s1"}, {Name: "Kết quả nghiên cứu (%)", Class: "s0"}}
	indicators   = []chartSeries{{Name: "Kết quả số hoá", Class: "s0"}, {Name: "Nhu cầu đăng ký", Class: "s1"},
		{Name: "Ghép nối đề xuất", Class: "s2"}, {Name: "Ghép nối được chấp nhận", Class: "s3"}}
)

// sectorBars bounds the supply–demand chart; its table lists every sector.
const sectorBars = 25

// countBlock is a one-series horizontal chart and its table.
func countBlock(stat, title, desc, what string, counts []market.Count) statBlock {
	t := statTable{Stat: stat, Caption: title, Head: []string{what, "Số lượng"}}
	var labels []string
	var values [][]int
	for _, c := range counts {
		t.Rows = append(t.Rows, statRow{Key: c.Key, Label: c.Label, Values: []string{strconv.Itoa(c.Count)}, Nums: []int{c.Count}})
		labels = append(labels, c.Label)
		values = append(values, []int{c.Count})
	}
	return statBlock{Chart: hbars("bd-"+stat, title, desc, oneSeries, labels, values, nil), Table: t}
}

// statBlocks is the page: programme indicators, supply–demand, then the supply by each dimension.
func statBlocks(r *market.Report) []statBlock {
	var blocks []statBlock

	years := statTable{Stat: "years", Caption: "Chỉ tiêu của chương trình theo năm",
		Head: []string{"Năm", "Kết quả số hoá", "Từ tệp (PDF, DOCX…)", "Trang trích", "Nhu cầu đăng ký", "Ghép nối đề xuất", "Ghép nối được chấp nhận"}}
	var yl []string
	var yv [][]int
	for _, y := range append(r.Years, r.Total) {
		nums := []int{y.ResultsDigitised, y.Documents, y.Pages, y.NeedsRegistered, y.MatchesProposed, y.MatchesAccepted}
		key, label := strconv.Itoa(y.Year), strconv.Itoa(y.Year)
		if y.Year == 0 {
			key, label = "total", "Tổng"
		} else {
			yl = append(yl, label)
			yv = append(yv, []int{y.ResultsDigitised, y.NeedsRegistered, y.MatchesProposed, y.MatchesAccepted})
		}
		years.Rows = append(years.Rows, statRow{Key: key, Label: label, Values: itoas(nums), Nums: nums})
	}
	blocks = append(blocks, statBlock{Table: years, Chart: vbars("bd-years", years.Caption,
		"Mỗi năm bốn cột: kết quả nghiên cứu được số hoá, nhu cầu công nghệ được đăng ký, cặp ghép nối được đề xuất và được chấp nhận.",
		indicators, yl, yv)})

	sectors := statTable{Stat: "sectors", Caption: "Cung – cầu theo ngành kinh tế",
		Head: []string{"Ngành (VSIC)", "Nhu cầu đang mở", "Kết quả", "% nhu cầu", "% kết quả", "Nhận xét"}}
	var sl []string
	var sv [][]int
	for _, x := range r.Sectors {
		sectors.Rows = append(sectors.Rows, statRow{Key: x.Key, Label: x.Label, Nums: []int{x.Needs, x.Results},
			Values: []string{strconv.Itoa(x.Needs), strconv.Itoa(x.Results), percent(x.NeedShare), percent(x.ResultShare)},
			Note:   market.BalanceLabel(x.Balance)})
		if len(sl) == sectorBars {
			continue
		}
		sl = append(sl, x.Label)
		sv = append(sv, []int{int(x.NeedShare*10 + 0.5), int(x.ResultShare*10 + 0.5)}) // tenths of a percent
	}
	sc := hbars("bd-sectors", sectors.Caption,
		"Mỗi ngành hai thanh: phần trăm nhu cầu đang mở và phần trăm kết quả nghiên cứu thuộc ngành đó; "+strconv.Itoa(sectorBars)+" ngành có nhiều nhu cầu nhất, bảng dưới có đủ các ngành. Ngành có thanh nhu cầu dài hơn hẳn là nơi cầu nhiều mà cung ít.",
		supplyDemand, sl, sv, func(tenths int) string { return percent(float64(tenths) / 10) })
	blocks = append(blocks, statBlock{Chart: sc, Table: sectors})

	blocks = append(blocks, trendBlock(r))
	blocks = append(blocks,
		countBlock("results_by_field", "Kết quả nghiên cứu theo lĩnh vực KH&CN", "Số kết quả thuộc mỗi lĩnh vực cấp một (một kết quả có thể thuộc nhiều lĩnh vực).", "Lĩnh vực", r.ByField),
		countBlock("needs_by_field", "Nhu cầu đang mở theo lĩnh vực KH&CN", "Số nhu cầu đang mở thuộc mỗi lĩnh vực cấp một.", "Lĩnh vực", r.NeedsByField),
		countBlock("results_by_year", "Kết quả nghiên cứu theo năm thực hiện", "Số kết quả theo năm ghi trong bản ghi; «"+market.NotStated+"»: kết quả không ghi năm.", "Năm", r.ByYear),
		countBlock("results_by_trl", "Kết quả theo mức sẵn sàng công nghệ (TRL)", "Số kết quả ở mỗi mức TRL; «"+market.NotStated+"»: kết quả không ghi TRL.", "TRL", r.ByTRL),
		countBlock("results_by_ip_status", "Kết quả theo tình trạng sở hữu trí tuệ", "Số kết quả theo tình trạng bảo hộ.", "Tình trạng", r.ByIPStatus),
		countBlock("results_by_locality", "Kết quả theo địa bàn", "Số kết quả theo địa bàn trong tỉnh.", "Địa bàn", r.ByLocality),
		countBlock("needs_by_locality", "Nhu cầu đang mở theo địa bàn", "Số nhu cầu đang mở theo địa bàn trong tỉnh.", "Địa bàn", r.NeedsByLocality),
		countBlock("results_by_organization", "Kết quả theo tổ chức chủ trì (20 tổ chức nhiều nhất)", "Số kết quả của mỗi tổ chức.", "Tổ chức", r.ByOrganization),
	)
	return blocks
}

// TrendTable is the trend as a table: every year some result has (oldest first, then "" for the results
// without a year), and for each year the results of each field of r.FieldTrends (0 when none).
func TrendTable(r *market.Report) ([]string, [][]int) {
	var years []string
	counts := [][]int{}
	for _, y := range r.ByYear {
		row := make([]int, len(r.FieldTrends))
		for f, t := range r.FieldTrends {
			for _, c := range t.ByYear {
				if c.Key == y.Key {
					row[f] = c.Count
				}
			}
		}
		years, counts = append(years, y.Key), append(counts, row)
	}
	return years, counts
}

// trendBlock is the supply's trend: results by year, stacked by field of science.
func trendBlock(r *market.Report) statBlock {
	years, counts := TrendTable(r)
	t := statTable{Stat: "results_by_field_and_year", Caption: "Xu hướng: kết quả nghiên cứu theo lĩnh vực và năm", Head: []string{"Năm"}}
	var series []chartSeries
	for i, tr := range r.FieldTrends {
		t.Head = append(t.Head, tr.Label)
		series = append(series, chartSeries{Name: maxLabel(tr.Label), Class: "s" + strconv.Itoa(min(i, 6))})
	}
	labels := make([]string, len(years))
	for i, y := range years {
		if labels[i] = y; y == "" {
			labels[i] = market.NotStated
		}
		t.Rows = append(t.Rows, statRow{Key: y, Label: labels[i], Values: itoas(counts[i]), Nums: counts[i]})
	}
	return statBlock{Table: t, Chart: stacked("bd-trend", t.Caption,
		"Mỗi cột một năm thực hiện, chia theo lĩnh vực KH&CN cấp một; số trên cột là tổng kết quả của năm (một kết quả nhiều lĩnh vực được tính ở mỗi lĩnh vực); «"+market.NotStated+"»: kết quả không ghi năm.",
		series, labels, counts)}
}

func itoas(ns []int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// percent writes a share as Vietnamese readers write it: 12,5 %.
func percent(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	for i := range len(s) {
		if s[i] == '.' {
			s = s[:i] + "," + s[i+1:]
		}
	}
	return s + " %"
}
