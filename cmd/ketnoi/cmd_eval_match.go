package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/matcher"
	"ketnoi/matcher/matcheval"
)

// stringList is a flag that may be given several times.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// matchEvalJSON is what eval match --json prints.
type matchEvalJSON struct {
	Labels     string            `json:"labels"`
	Cases      int               `json:"cases"`
	Answerable int               `json:"answerable"`
	Corpus     matchEvalCorpus   `json:"corpus"`
	IndexMS    float64           `json:"index_ms"`
	Measures   map[string]string `json:"measures"`
	Configs    []matchEvalRun    `json:"configs"`
}

type matchEvalCorpus struct {
	Source  string `json:"source"` // sample, files or data
	Results int    `json:"results"`
	Needs   int    `json:"needs"`
}

type matchEvalRun struct {
	matcheval.Config
	matcheval.Report
}

// measuresText says what the measures count, in the text output and the JSON.
var measuresText = map[string]string{
	"ndcg5": "nDCG@5, lợi ích theo mức: 2^mức − 1 (mức 3 → 7, mức 2 → 3, mức 1 → 1)",
	"p5":    "P@5: chỉ kết quả mức ≥ 2 tính là phù hợp; nhu cầu không có kết quả mức ≥ 2 không tính vào trung bình",
	"r20":   "R@20: phần các kết quả được chấm (mức ≥ 1) nằm trong 20 kết quả đầu",
}

func runEvalMatch(e *env, c *command, args []string) error {
	dataBefore := e.data
	fs := newFlags(e, c)
	var corpora stringList
	fs.Var(&corpora, "corpus", "tệp bản ghi (JSON, JSONL, CSV) thay cho bộ mẫu có sẵn; lặp lại cờ cho nhiều tệp")
	weights := fs.String("weights", "", "tệp trọng số ghép nối (JSON)")
	ablation := fs.Bool("ablation", false, "chạy cả các cấu hình bỏ bớt thành phần và in một bảng so sánh")
	asJSON := fs.Bool("json", false, "in JSON")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	// --data evaluates the data directory as it is; without it the corpus is indexed aside.
	useData := dataGiven(fs, dataBefore)
	if len(pos) != 1 {
		return usageError{"cần đúng một tệp nhãn (JSONL: mỗi dòng một nhu cầu và các kết quả được chấm)"}
	}
	if useData && len(corpora) > 0 {
		return usageError{"--data và --corpus không dùng cùng nhau: --data đánh giá kho có sẵn, --corpus lập kho tạm"}
	}
	cases, err := matcheval.Load(pos[0])
	if err != nil {
		return err
	}
	w := matcher.DefaultWeights()
	if *weights != "" {
		if w, err = matcher.LoadWeights(*weights); err != nil {
			return err
		}
	}
	source := "data"
	var recs []corpus.Record
	if !useData {
		if recs, source, err = evalCorpus(corpora, e.stderr); err != nil {
			return err
		}
	}
	ctx := context.Background()
	start := time.Now()
	d, closeData, err := openEvalData(ctx, e, useData, recs, source)
	if err != nil {
		return err
	}
	defer closeData()
	indexTime := time.Since(start)
	store := d.store
	needs, err := matcheval.Needs(cases, store)
	if err != nil {
		return err
	}
	missing, err := matcheval.MissingResults(cases, store)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		fmt.Fprintf(e.stderr, "CẢNH BÁO: %d kết quả được chấm không có trong kho (không bao giờ tìm thấy, làm giảm R@20): %s\n",
			len(missing), strings.Join(missing[:min(10, len(missing))], "; "))
	}
	configs := []matcheval.Config{{ID: "weights", Name: weightsName(*weights), Weights: w}}
	if *ablation {
		configs = matcheval.Ablation(w)
	}
	counts, _ := d.store.Counts()
	out := matchEvalJSON{
		Labels: pos[0], Cases: len(cases), IndexMS: float64(indexTime.Microseconds()) / 1000, Measures: measuresText,
		Corpus: matchEvalCorpus{Source: source, Results: counts[corpus.KindResult], Needs: counts[corpus.KindNeed]},
	}
	for _, c := range cases {
		if c.MaxGrade() >= matcheval.GradePartial {
			out.Answerable++
		}
	}
	year := time.Now().Year()
	for _, cfg := range configs {
		m := matcher.New(d.idx, store, cfg.Weights, year)
		// One untimed need first, so that latency does not include opening the index's segments.
		if _, err := m.Match(ctx, needs[0], matcheval.RecallAt); err != nil {
			return fmt.Errorf("ghép nhu cầu %s: %w", cases[0].NeedID, err)
		}
		rep, err := matcheval.Evaluate(ctx, m, cases, needs)
		if err != nil {
			return fmt.Errorf("cấu hình %q: %w", cfg.Name, err)
		}
		out.Configs = append(out.Configs, matchEvalRun{cfg, rep})
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	printMatchEvalHeader(e.stdout, out, *weights, indexTime)
	if *ablation {
		return printAblation(e.stdout, out.Configs)
	}
	return printMatchEval(e.stdout, out.Configs[0].Report)
}

// evalCorpus reads the record files, or takes the bundled sample without them; source says which
// ("sample" or "files").
func evalCorpus(files []string, stderr io.Writer) ([]corpus.Record, string, error) {
	if len(files) == 0 {
		recs, err := sample.Records()
		return recs, "sample", err
	}
	var recs []corpus.Record
	for _, f := range files {
		rs, err := loadRecords(f, stderr)
		if err != nil {
			return nil, "", fmt.Errorf("đọc %s: %w", f, err)
		}
		recs = append(recs, rs...)
	}
	if len(recs) == 0 {
		return nil, "", usageError{"các tệp --corpus không có bản ghi hợp lệ nào"}
	}
	return recs, "files", nil
}

func weightsName(path string) string {
	if path == "" {
		return "mặc định"
	}
	return filepath.Base(path)
}

func printMatchEvalHeader(w io.Writer, out matchEvalJSON, weights string, indexTime time.Duration) {
	fmt.Fprintf(w, "Bộ nhãn: %s — %d nhu cầu (%d có kết quả mức ≥ 2)\n", filepath.Base(out.Labels), out.Cases, out.Answerable)
	src := map[string]string{"sample": "bộ mẫu có sẵn", "files": "tệp --corpus", "data": "thư mục dữ liệu"}[out.Corpus.Source]
	fmt.Fprintf(w, "Kho: %s — %d kết quả, %d nhu cầu (mở và lập chỉ mục %s)\n", src, out.Corpus.Results, out.Corpus.Needs,
		indexTime.Round(time.Millisecond))
	if len(out.Configs) == 1 {
		fmt.Fprintf(w, "Trọng số: %s\n", weightsName(weights))
	}
	fmt.Fprintln(w)
}

func printMatchEval(w io.Writer, rep matcheval.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "nhu cầu\tnDCG@5\tP@5\tR@20\ttrễ\tmức của 5 đầu\ttiêu đề")
	for _, n := range rep.Needs {
		grades := make([]string, 0, len(n.Top))
		for _, r := range n.Top {
			if r.Grade == 0 {
				grades = append(grades, "·")
			} else {
				grades = append(grades, fmt.Sprint(r.Grade))
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, measure(n.NDCG5), measure(n.P5), measure(n.R20),
			ms2(n.Latency), strings.Join(grades, " "), clip(n.Title, 48))
	}
	o := rep.Overall
	fmt.Fprintf(tw, "trung bình\t%.3f\t%.3f\t%.3f\t\t\t(trên %d, %d, %d nhu cầu)\n", o.NDCG5, o.P5, o.R20, o.NNDCG5, o.NP5, o.NR20)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nĐộ trễ mỗi nhu cầu: p50 %s, p95 %s\n", ms2(o.P50), ms2(o.P95))
	printMeasures(w, o.P5Max)
	return nil
}

func printAblation(w io.Writer, runs []matchEvalRun) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cấu hình\tnDCG@5\tΔ so với chỉ văn bản\tP@5\tR@20\tp50\tp95")
	base := runs[0].Overall.NDCG5
	for i, r := range runs {
		o := r.Overall
		delta := "–"
		if i > 0 {
			delta = fmt.Sprintf("%+.3f", o.NDCG5-base)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%.3f\t%.3f\t%s\t%s\n", r.Name, o.NDCG5, delta, o.P5, o.R20, ms2(o.P50), ms2(o.P95))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	printMeasures(w, runs[0].Overall.P5Max)
	return nil
}

// printMeasures says what the measures count, and how high P@5 can go on this set.
func printMeasures(w io.Writer, p5Max float64) {
	for _, k := range []string{"ndcg5", "p5", "r20"} {
		fmt.Fprintln(w, measuresText[k])
	}
	fmt.Fprintf(w, "P@5 cao nhất có thể trên bộ nhãn này: %.3f (nhiều nhu cầu chỉ có 1–3 kết quả mức ≥ 2)\n", p5Max)
}

func measure(v *float64) string {
	if v == nil {
		return "–"
	}
	return fmt.Sprintf("%.3f", *v)
}

// clip shortens s to n runes.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
