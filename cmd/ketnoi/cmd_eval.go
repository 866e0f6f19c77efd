package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"ketnoi/corpus"
	"ketnoi/indexer"
	"ketnoi/indexer/searcheval"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "đo chất lượng và tốc độ tìm kiếm, ghép nối và trích văn bản",
		usage: "search --corpus TỆP.jsonl --queries TỆP.jsonl [--compare sqlite] [--limit N] [--data THƯ_MỤC]\n" +
			"       ketnoi eval match [--corpus TỆP]... [--data THƯ_MỤC] [--weights TỆP] [--ablation] [--json] NHÃN.jsonl\n" +
			"       ketnoi eval extract [--compare pdftotext] [--workers N] [--timeout D] THƯ_MỤC...",
		help: `
eval search lập chỉ mục bộ tài liệu vào một thư mục tạm (hoặc dùng --data nếu đã có), chạy mọi câu hỏi và
in P@1, MRR@10, Recall@10, nDCG@10 và độ trễ p50/p95, cho câu hỏi nguyên bản và cho các lát cắt: bỏ dấu,
NFD, đổi vị trí dấu thanh ("hòa" ↔ "hoà"). --compare sqlite chạy cùng tài liệu và câu hỏi qua SQLite FTS5
(unicode61 remove_diacritics 2, bm25, mỗi câu là OR các từ) trong cùng lần chạy và in tỉ lệ.
Tệp câu hỏi: mỗi dòng {"id", "query", "relevant": [mã tài liệu]}.

eval match đo ghép nối nhu cầu → kết quả trên một bộ nhãn: mỗi dòng {"need": "mã nhu cầu" hoặc bản ghi
nhu cầu, "relevant": {"mã kết quả": mức}, "note": "..."}, mức 3 = trả lời thẳng nhu cầu, 2 = trả lời phần
lớn hoặc dùng được khi điều chỉnh, 1 = liên quan; kết quả không liệt kê là không phù hợp. Lệnh lập chỉ mục
bộ mẫu có sẵn (hoặc các tệp --corpus) vào thư mục tạm, hoặc dùng kho có sẵn với --data, ghép từng nhu cầu và
in nDCG@5 (lợi ích 2^mức − 1), P@5 (chỉ mức ≥ 2 tính là phù hợp), R@20 (mọi mức) từng nhu cầu và trung bình,
cùng độ trễ p50/p95. --ablation chạy cùng bộ nhãn với nhiều cấu hình (chỉ văn bản; thêm từ đồng nghĩa, phản
hồi giả PRF, cả hai; thêm tín hiệu cấu trúc; đầy đủ; đầy đủ bỏ từng thành phần) và in một bảng. Bộ nhãn của
bộ mẫu: matcher/testdata/labelled-needs.jsonl.

eval extract trích mọi PDF (và DOCX, ODT, TXT) trong các thư mục và in, từng tệp và tổng: số trang, thời
gian, trang/giây, bậc trích đã dùng, lỗi theo lý do. Khi có văn bản chuẩn cùng tên (X.pdf → X.txt, các
trang cách nhau bởi ký tự \f) thì in thêm CER (tỉ lệ lỗi ký tự) và tỉ lệ giữ dấu (phần từ có dấu của văn
bản chuẩn xuất hiện đúng trong kết quả). --compare pdftotext chạy poppler trên cùng tệp để so sánh: CER,
số tệp có văn bản, trang/giây.`,
		run: runEval,
	})
}

func runEval(e *env, args []string) error {
	c := find("eval")
	if len(args) > 0 && args[0] == "extract" {
		return runEvalExtract(e, c, args[1:])
	}
	if len(args) > 0 && args[0] == "match" {
		return runEvalMatch(e, c, args[1:])
	}
	if len(args) == 0 || args[0] != "search" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			commandUsage(e.stdout, c, nil)
			return nil
		}
		return usageError{"cần lệnh con: eval search, eval match hoặc eval extract"}
	}
	dataBefore := e.data
	fs := newFlags(e, c)
	corpusPath := fs.String("corpus", "", "tệp tài liệu JSONL (định dạng bản ghi)")
	queriesPath := fs.String("queries", "", "tệp câu hỏi JSONL")
	compare := fs.String("compare", "", "so sánh với: sqlite")
	limit := fs.Int("limit", 0, "chỉ dùng N câu hỏi đầu (0: tất cả)")
	slices := fs.String("slices", "given,fold,nfd,tone", "các lát cắt: given (nguyên bản), fold (không dấu), nfd, tone (đổi vị trí dấu)")
	jsonOut := fs.Bool("json", false, "in kết quả dạng JSON, đủ chữ số (dòng mô tả chuyển sang stderr)")
	pos, err := parse(e, c, fs, args[1:])
	if err != nil {
		return err
	}
	// With --data the index already there is evaluated; without it the corpus is indexed aside.
	useData := dataGiven(fs, dataBefore)
	if len(pos) > 0 || *queriesPath == "" || (*corpusPath == "" && !useData) {
		return usageError{"cần --corpus và --queries"}
	}
	if *compare != "" && *compare != "sqlite" {
		return usageError{"--compare chỉ nhận sqlite"}
	}
	queries, skipped, err := searcheval.LoadQueries(*queriesPath)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "BỎ QUA câu hỏi thiếu nội dung hoặc đáp án: %s\n", s)
	}
	if *limit > 0 && *limit < len(queries) {
		queries = queries[:*limit]
	}
	var recs []corpus.Record
	if *corpusPath != "" {
		if recs, err = loadRecords(*corpusPath, e.stderr); err != nil {
			return err
		}
	}
	ctx := context.Background()
	start := time.Now()
	d, closeData, err := openEvalData(ctx, e, useData, recs, *corpusPath)
	if err != nil {
		return err
	}
	defer closeData()
	indexTime := time.Since(start)
	engines := []searcheval.Engine{searcheval.IndexEngine{Index: d.idx}}
	var sqlTime time.Duration
	if *compare == "sqlite" {
		if len(recs) == 0 {
			return usageError{"--compare sqlite cần --corpus"}
		}
		start := time.Now()
		sq, err := searcheval.OpenSQLite(":memory:")
		if err != nil {
			return err
		}
		defer sq.Close()
		if err := sq.Load(recs); err != nil {
			return err
		}
		sqlTime = time.Since(start)
		engines = append(engines, sq)
	}
	docs, _ := d.idx.Count()
	head := e.stdout
	if *jsonOut {
		head = e.stderr
	}
	fmt.Fprintf(head, "Bộ tài liệu: %s (%d tài liệu), câu hỏi: %s (%d câu)\n", filepath.Base(*corpusPath), docs, filepath.Base(*queriesPath), len(queries))
	fmt.Fprintf(head, "Lập chỉ mục: ketnoi %s", indexTime.Round(time.Millisecond))
	if sqlTime > 0 {
		fmt.Fprintf(head, ", SQLite FTS5 %s", sqlTime.Round(time.Millisecond))
	}
	fmt.Fprintln(head)
	var chosen []searcheval.Slice
	for _, sl := range searcheval.Slices {
		if strings.Contains(","+*slices+",", ","+sl.ID+",") {
			chosen = append(chosen, sl)
		}
	}
	if len(chosen) == 0 {
		return usageError{"--slices không chọn lát cắt nào"}
	}
	return evalTable(ctx, e.stdout, engines, queries, chosen, *jsonOut)
}

// evalRow is one engine on one slice, as --json prints it.
type evalRow struct {
	Slice    string  `json:"slice"`
	Engine   string  `json:"engine"`
	Queries  int     `json:"queries"`
	P1       float64 `json:"p_at_1"`
	MRR10    float64 `json:"mrr_at_10"`
	Recall10 float64 `json:"recall_at_10"`
	NDCG10   float64 `json:"ndcg_at_10"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	// NDCGRatio is ketnoi's nDCG@10 over the baseline's on the same slice (on ketnoi's row, with --compare).
	NDCGRatio float64 `json:"ndcg_at_10_ratio,omitempty"`
}

func evalTable(ctx context.Context, w io.Writer, engines []searcheval.Engine, queries []searcheval.Query, slices []searcheval.Slice, asJSON bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "lát cắt\tbộ máy\tP@1\tMRR@10\tRecall@10\tnDCG@10\tp50\tp95\t")
	rows := []evalRow{}
	for _, sl := range slices {
		var ms []searcheval.Metrics
		first := len(rows)
		for _, eng := range engines {
			m, err := searcheval.Evaluate(ctx, eng, queries, sl.Fn)
			if err != nil {
				return err
			}
			ms = append(ms, m)
			rows = append(rows, evalRow{Slice: sl.ID, Engine: eng.Name(), Queries: m.N, P1: m.P1, MRR10: m.MRR10,
				Recall10: m.Recall10, NDCG10: m.NDCG10, P50MS: float64(m.P50.Microseconds()) / 1000,
				P95MS: float64(m.P95.Microseconds()) / 1000})
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%s\t\n", sl.Name, eng.Name(), m.P1, m.MRR10, m.Recall10, m.NDCG10, ms2(m.P50), ms2(m.P95))
		}
		if len(ms) == 2 {
			a, b := ms[0], ms[1]
			if b.NDCG10 > 0 {
				rows[first].NDCGRatio = a.NDCG10 / b.NDCG10
			}
			fmt.Fprintf(tw, "%s\ttỉ lệ ketnoi/FTS5\t%s\t%s\t%s\t%s\t\t\t\n", sl.Name, ratio(a.P1, b.P1), ratio(a.MRR10, b.MRR10), ratio(a.Recall10, b.Recall10), ratio(a.NDCG10, b.NDCG10))
		}
	}
	if asJSON {
		b, err := json.MarshalIndent(rows, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, string(b))
		return err
	}
	return tw.Flush()
}

func ms2(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("×%.3f", a/b)
}

// dataGiven says whether --data was given, before the subcommand (e.data then differs from the default it
// started with) or among its flags.
func dataGiven(fs *flag.FlagSet, before string) bool {
	given := before != defaultDataDir()
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "data" })
	return given
}

// openEvalData opens what an evaluation runs on: with --data, that data directory as it is; otherwise a
// new one in a temporary directory holding recs, which the returned close removes.
func openEvalData(ctx context.Context, e *env, useData bool, recs []corpus.Record, source string) (*data, func(), error) {
	if useData {
		d, err := openData(ctx, e.data, nil)
		if err != nil {
			return nil, nil, err
		}
		return d, func() { d.close() }, nil
	}
	tmp, err := os.MkdirTemp("", "ketnoi-eval-")
	if err != nil {
		return nil, nil, err
	}
	d, err := openOrCreateData(ctx, filepath.Join(tmp, "data"), nil)
	if err == nil {
		if _, err = d.store.Put(recs, source); err == nil {
			_, err = indexer.Sync(ctx, d.store, d.idx, nil)
		}
		if err != nil {
			d.close()
		}
	}
	if err != nil {
		os.RemoveAll(tmp)
		return nil, nil, err
	}
	return d, func() {
		d.close()
		os.RemoveAll(tmp)
	}, nil
}

// loadRecords reads a record file, reporting rejected records.
func loadRecords(path string, stderr io.Writer) ([]corpus.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []corpus.Record
	format := corpus.FormatOf(path)
	if format == "" {
		format = corpus.FormatJSONL
	}
	bad := 0
	err = corpus.ReadRecords(path, f, format, func(p corpus.Parsed) error {
		if p.Record == nil {
			bad++
			if bad <= 5 {
				fmt.Fprintf(stderr, "LỖI %s\n", p.Problems[0])
			}
			return nil
		}
		recs = append(recs, p.Record)
		return nil
	})
	if bad > 0 {
		fmt.Fprintf(stderr, "%d bản ghi bị loại\n", bad)
	}
	return recs, err
}
