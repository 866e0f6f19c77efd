package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer/searcheval"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "đo tốc độ lập chỉ mục, tìm kiếm (so với SQLite FTS5), ghép nối hàng loạt và chịu tải của máy chủ",
		usage:   "index [--records N] [--from TỆP.jsonl] [--compare sqlite] [--cpuprofile TỆP]\n       ketnoi bench search [--records N | --data THƯ_MỤC] [--queries Q] [--concurrency C] [--duration D] [--no-cache] [--compare sqlite] [--cpuprofile TỆP]\n       ketnoi bench match [--needs N] [--results N] [--dir THƯ_MỤC] [--cpuprofile TỆP]\n       ketnoi bench load [--results N] [--duration 10m] [--concurrency N] [--requests N] [--corpus THƯ_MỤC]\n       ketnoi bench pdf [--files N] [--pages N] [--dir THƯ_MỤC] [--workers N] [--rounds N] [--server]",
		help: `
bench index sinh N bản ghi kết quả nghiên cứu tiếng Việt khoảng 1 KB mỗi bản ghi (ghép lại câu, từ khoá,
lĩnh vực, năm... từ bộ dữ liệu mẫu đi kèm, nên văn bản không trùng nhau), ghi ra một tệp JSONL trong thư
mục tạm, rồi đo đúng việc "ketnoi index TỆP.jsonl" làm trên một thư mục dữ liệu mới: đọc và kiểm tra bản
ghi, ghi vào kho, lập chỉ mục với mọi bộ phân tích tiếng Việt. In số bản ghi/giây, MB/giây, cỡ chỉ mục và
đỉnh bộ nhớ thường trú (VmHWM) của tiến trình. --from dùng tệp bản ghi có sẵn thay cho dữ liệu sinh ra.
--cpuprofile ghi hồ sơ CPU của phần lập chỉ mục.
--compare sqlite đọc cùng tệp và nạp vào SQLite FTS5 (unicode61 remove_diacritics 2, trên đĩa) trong cùng
lần chạy, rồi in tỉ lệ. Thư mục tạm bị xoá khi xong.
` + benchSearchHelp + `

bench match sinh N nhu cầu (60–100 âm tiết, lời doanh nghiệp, ghép từ các nhu cầu mẫu) và N kết quả như
bench index, lập chỉ mục vào --dir (giữ lại: lần sau cùng cỡ thì dùng lại, khỏi lập chỉ mục), rồi đo đúng
việc "ketnoi match --all --csv --html" làm: thời gian, nhu cầu/giây, p50/p95 thời gian mỗi nhu cầu, đỉnh
bộ nhớ thường trú trong lúc ghép.

bench load xây (hoặc dùng lại, với --corpus THƯ_MỤC) một kho N kết quả sinh như trên, chạy "ketnoi serve"
thật trên 127.0.0.1 rồi gửi tải trộn: tìm kiếm 80 %, ghép nối 15 %, tải tệp lên 5 %, từ --concurrency máy
khách, trong --duration hoặc đến khi đủ --requests yêu cầu. In số yêu cầu/giây, p50 và p99 từng loại, lỗi,
số tệp tải lên đã xử lý, và bộ nhớ thường trú (RSS) của máy chủ theo thời gian (đầu, mỗi 1/10 thời gian,
cuối): bộ nhớ phải phẳng trong lần chạy dài. Có lỗi thì mã thoát 1. Máy khách cục bộ không bị giới hạn tần
suất nên giới hạn của máy chủ không ảnh hưởng số đo.

` + benchPDFHelp,
		run: runBench,
	})
}

func runBench(e *env, args []string) error {
	c := find("bench")
	if len(args) > 0 && args[0] == "search" {
		return runBenchSearch(e, c, args[1:])
	}
	if len(args) > 0 && args[0] == "match" {
		return runBenchMatch(e, args[1:])
	}
	if len(args) > 0 && args[0] == "load" {
		return runBenchLoad(e, args[1:])
	}
	if len(args) > 0 && args[0] == "pdf" {
		return runBenchPDF(e, c, args[1:])
	}
	if len(args) == 0 || args[0] != "index" {
		if len(args) > 0 && (args[0] == "--help" || args[0] == "-h") {
			commandUsage(e.stdout, c, nil)
			return nil
		}
		return usageError{"cần lệnh con: bench index, bench search, bench match, bench load hoặc bench pdf"}
	}
	fs := newFlags(e, c)
	n := fs.Int("records", 20000, "số bản ghi sinh ra")
	from := fs.String("from", "", "dùng tệp bản ghi JSONL này thay cho dữ liệu sinh ra")
	compare := fs.String("compare", "", "so sánh với: sqlite")
	cpuprofile := fs.String("cpuprofile", "", "ghi hồ sơ CPU của phần lập chỉ mục ra TỆP (go tool pprof)")
	pos, err := parse(e, c, fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"bench index không nhận đối số vị trí"}
	}
	if *compare != "" && *compare != "sqlite" {
		return usageError{"--compare chỉ nhận sqlite"}
	}
	if *from == "" && *n <= 0 {
		return usageError{"--records phải lớn hơn 0"}
	}

	tmp, err := os.MkdirTemp("", "ketnoi-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	path := *from
	if path == "" {
		path = filepath.Join(tmp, "ketqua.jsonl")
		if err := writeBenchRecords(path, *n); err != nil {
			return err
		}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	lines, err := countLines(path)
	if err != nil {
		return err
	}
	mb := float64(fi.Size()) / (1 << 20)
	if *from == "" {
		fmt.Fprintf(e.stdout, "Dữ liệu: %d bản ghi kết quả sinh từ bộ mẫu, %.1f MB (trung bình %.0f byte/bản ghi)\n",
			lines, mb, float64(fi.Size())/float64(max(lines, 1)))
	} else {
		fmt.Fprintf(e.stdout, "Dữ liệu: %s, %d dòng, %.1f MB\n", filepath.Base(path), lines, mb)
	}

	// The generated file is garbage now; the heap it may have left must not count as indexing memory.
	runtime.GC()

	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	// Exactly what "ketnoi index FILE" runs, on a fresh data directory; its own summary is kept aside.
	dataDir := filepath.Join(tmp, "data")
	var out, errOut bytes.Buffer
	ie := &env{stdout: &out, stderr: &errOut, data: dataDir}
	start := time.Now()
	err = runIndex(ie, []string{"--quiet", path})
	elapsed := time.Since(start)
	stopProfile()
	// Its problems are shown; rejected records (exit code 1) still leave the rest measured.
	io.Copy(e.stderr, &errOut)
	var ee exitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("ketnoi index thất bại: %w", err)
	}
	hwm := peakRSS()

	recs := indexedCount(out.String(), lines)
	idxBytes := dirSize(filepath.Join(dataDir, "index"))
	storeBytes := dirSize(filepath.Join(dataDir, "store.db"))
	secs := elapsed.Seconds()
	fmt.Fprintf(e.stdout, "ketnoi index: %d bản ghi trong %s: %.0f bản ghi/s, %.2f MB/s\n",
		recs, elapsed.Round(time.Millisecond), float64(recs)/secs, mb/secs)
	fmt.Fprintf(e.stdout, "  chỉ mục %.1f MB trên đĩa (%.2f MB mỗi MB bản ghi), kho %.1f MB\n",
		float64(idxBytes)/(1<<20), float64(idxBytes)/float64(fi.Size()), float64(storeBytes)/(1<<20))
	if hwm > 0 {
		// VmHWM counts the pages of mapped files too (the store and the index segments are mmapped).
		fmt.Fprintf(e.stdout, "  đỉnh bộ nhớ thường trú (VmHWM, gồm cả tệp ánh xạ) của tiến trình bench đến lúc này: %.0f MB\n",
			float64(hwm)/(1<<20))
	} else {
		fmt.Fprintln(e.stdout, "  đỉnh bộ nhớ thường trú: không đọc được /proc/self/status")
	}

	if *compare == "sqlite" {
		start := time.Now()
		sq, err := searcheval.OpenSQLite(filepath.Join(tmp, "fts5.db"))
		if err != nil {
			return err
		}
		defer sq.Close()
		loaded, rejected, err := sq.LoadFile(path)
		if err != nil {
			return err
		}
		if rejected > 0 {
			fmt.Fprintf(e.stderr, "SQLite: %d bản ghi bị loại khi đọc\n", rejected)
		}
		sqTime := time.Since(start)
		s := sqTime.Seconds()
		fmt.Fprintf(e.stdout, "SQLite FTS5 (unicode61 remove_diacritics 2), đọc + kiểm tra + nạp cùng tệp: %d bản ghi trong %s: %.0f bản ghi/s, %.2f MB/s\n",
			loaded, sqTime.Round(time.Millisecond), float64(loaded)/s, mb/s)
		fmt.Fprintf(e.stdout, "  cơ sở dữ liệu %.1f MB trên đĩa\n", float64(dirSize(filepath.Join(tmp, "fts5.db")))/(1<<20))
		fmt.Fprintf(e.stdout, "Tỉ lệ tốc độ ketnoi/FTS5: ×%.2f\n", (float64(recs)/secs)/(float64(loaded)/s))
	}
	return nil
}

// startCPUProfile writes a CPU profile to path (nothing when path is empty) until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// indexedCount reads how many records "ketnoi index" read from its summary line; when the line cannot be
// found (its wording changed) the file's line count stands in.
func indexedCount(summary string, lines int) int {
	const marker = " bản ghi đọc được"
	i := strings.Index(summary, marker)
	if i < 0 {
		return lines
	}
	j := strings.LastIndexByte(summary[:i], ' ')
	if n, err := strconv.Atoi(summary[j+1 : i]); err == nil {
		return n
	}
	return lines
}

// peakRSS returns the process's peak resident set (VmHWM) in bytes, 0 when unknown (not Linux).
func peakRSS() int64 { return procStatus(os.Getpid(), "VmHWM") }

// dirSize sums the regular files under path (or path itself when it is a file).
func dirSize(path string) int64 {
	var total int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 64<<10)
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if k > 0 {
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

// benchPool is what generated records are recombined from: the sample results of one research field
// (first digit of the field code), so that a record's sentences, keywords and codes belong together.
type benchPool struct {
	bases        []*corpus.Result // metadata (codes, places, organisation) comes from one of these
	titles       []string
	summary      []string // sentences
	body         []string // sentences
	keywords     []string
	applications []string
	advantages   []string
}

// Prefixes and suffixes that vary a sample title the way real project titles vary.
var (
	titlePrefixes = []string{"", "", "", "Nghiên cứu ", "Ứng dụng ", "Hoàn thiện ", "Chuyển giao ", "Xây dựng mô hình ",
		"Đánh giá hiệu quả ", "Mở rộng "}
	titleSuffixes = []string{"", "", "", " giai đoạn 2", " quy mô nông hộ", " (mô hình thí điểm)", " tại các xã ven biển",
		" cho doanh nghiệp nhỏ và vừa", " theo hướng bền vững", " vùng trung du"}
)

func benchPools() ([]*benchPool, error) {
	groups, err := sampleByField(func(r *corpus.Result) []string { return r.FieldCodes })
	if err != nil {
		return nil, err
	}
	var pools []*benchPool
	for _, g := range groups {
		p := &benchPool{bases: g}
		for _, r := range g {
			p.titles = append(p.titles, r.Title)
			p.summary = append(p.summary, sentences(r.Summary)...)
			p.body = append(p.body, sentences(r.Body)...)
			p.keywords = append(p.keywords, r.Keywords...)
			p.applications = append(p.applications, sentences(r.Applications)...)
			p.advantages = append(p.advantages, sentences(r.Advantages)...)
		}
		pools = append(pools, p)
	}
	for _, p := range pools {
		if len(p.summary) == 0 || len(p.body) == 0 || len(p.keywords) == 0 {
			return nil, fmt.Errorf("bộ mẫu thiếu văn bản để sinh dữ liệu đo")
		}
	}
	if len(pools) == 0 {
		return nil, fmt.Errorf("bộ mẫu không có kết quả nghiên cứu")
	}
	return pools, nil
}

// sampleByField groups the sample records of one kind by research field (the first digit of the first
// field code), in order of first appearance, so that recombined text and codes belong together.
func sampleByField[T corpus.Record](codes func(T) []string) ([][]T, error) {
	recs, err := sample.Records()
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	var groups [][]T
	for _, rec := range recs {
		r, ok := rec.(T)
		if !ok || len(codes(r)) == 0 {
			continue
		}
		key := codes(r)[0][:1]
		i, seen := index[key]
		if !seen {
			i = len(groups)
			index[key] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups, nil
}

// sentences splits prose after ". ", "! ", "? " and at line breaks; a number "1.500" stays whole.
func sentences(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		end := -1
		switch {
		case c == '\n':
			end = i
		case (c == '.' || c == '!' || c == '?') && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n'):
			end = i + 1
		}
		if end < 0 {
			continue
		}
		if t := strings.TrimSpace(s[start:end]); isSentence(t) {
			out = append(out, t)
		}
		start = end
	}
	if t := strings.TrimSpace(s[start:]); isSentence(t) {
		out = append(out, t)
	}
	return out
}

// isSentence leaves out the section headings of sample bodies ("Kết quả.", "Nội dung và phương pháp.").
func isSentence(s string) bool { return strings.Count(s, " ") >= 6 }

// writeBenchRecords writes n generated result records to path, one JSON object a line. The generator is
// seeded, so the same n gives the same file.
func writeBenchRecords(path string, n int) error {
	pools, err := benchPools()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(2025, uint64(n)))
	return writeJSONLines(path, n, func(i int) any { return benchRecord(rng, pools[rng.IntN(len(pools))], i) })
}

// writeJSONLines writes n records made by rec(i) to path, one JSON object a line.
func writeJSONLines(path string, n int, rec func(i int) any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		b, err := json.Marshal(rec(i))
		if err != nil {
			f.Close()
			return err
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchRecord makes one result of about 1 KB of JSON: a varied title, one or two summary sentences, a few
// keywords, body sentences up to a size drawn between 700 and 1,100 bytes, metadata from one sample result.
func benchRecord(rng *rand.Rand, p *benchPool, i int) *corpus.Result {
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	base := p.bases[rng.IntN(len(p.bases))]
	title := pick(p.titles)
	if pre := pick(titlePrefixes); pre != "" {
		title = pre + lowerFirst(title)
	}
	title += pick(titleSuffixes)
	r := &corpus.Result{
		ID: fmt.Sprintf("bench-%07d", i+1), Kind: corpus.KindResult,
		Title:      title,
		Summary:    clipClause(pick(p.summary), 260),
		FieldCodes: base.FieldCodes, Sectors: base.Sectors, IPStatus: base.IPStatus,
		TransferForms: base.TransferForms, Organization: base.Organization, Authors: base.Authors,
		Province: base.Province, LegacyProvince: base.LegacyProvince, Locality: base.Locality,
		Language: "vi", Year: 2000 + rng.IntN(26), TRL: 1 + rng.IntN(9),
	}
	if s := pick(p.summary); len(r.Summary)+len(s) < 260 {
		r.Summary += " " + s
	}
	seen := map[string]bool{}
	for k := 2 + rng.IntN(4); len(r.Keywords) < k && len(seen) < len(p.keywords); {
		kw := pick(p.keywords)
		if !seen[kw] {
			seen[kw] = true
			r.Keywords = append(r.Keywords, kw)
		}
	}
	if len(p.applications) > 0 && rng.IntN(3) == 0 {
		r.Applications = pick(p.applications)
	}
	if len(p.advantages) > 0 && rng.IntN(3) == 0 {
		r.Advantages = pick(p.advantages)
	}
	if rng.IntN(3) == 0 {
		lo := int64(50+rng.IntN(450)) * 1_000_000
		r.PriceVND = corpus.Range{Min: lo, Max: lo * 2}
	}
	// At least one sentence, then whole sentences up to the target; one that would overshoot it by more than
	// 100 bytes is skipped.
	target := 700 + rng.IntN(400)
	size := jsonSize(r) + len(`,"body":""`)
	var body strings.Builder
	for tries := 0; tries < 20 && (body.Len() == 0 || size+body.Len() < target); tries++ {
		s := pick(p.body)
		if body.Len() > 0 && size+body.Len()+1+len(s) > target+100 {
			continue
		}
		if body.Len() > 0 {
			body.WriteByte(' ')
		}
		body.WriteString(s)
	}
	r.Body = body.String()
	for _, s := range []*string{&r.Title, &r.Summary, &r.Body, &r.Applications, &r.Advantages} {
		*s = norm.NFC.String(*s)
	}
	return r
}

// clipClause shortens a sentence longer than n bytes at its last clause ("; " or ", ") before n.
func clipClause(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := strings.LastIndex(s[:n], "; ")
	if j := strings.LastIndex(s[:n], ", "); i < n/2 {
		i = j
	}
	if i < n/3 {
		return s
	}
	return s[:i] + "."
}

func jsonSize(r *corpus.Result) int {
	b, _ := json.Marshal(r)
	return len(b)
}

// lowerFirst lowercases the first letter of a title that follows a prefix, unless it starts a proper name
// or an acronym (two capitals in a row, "HDPE", "IoT").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}
