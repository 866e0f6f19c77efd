package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"ketnoi/corpus"
	"ketnoi/server"
)

// bench match measures ketnoi match --all: generated needs against generated results, in a data
// directory that is built once and kept for the next runs (building a large index takes a while).

func runBenchMatch(e *env, args []string) error {
	c := find("bench")
	fs := newFlags(e, c)
	nNeeds := fs.Int("needs", 1000, "số nhu cầu sinh ra")
	nResults := fs.Int("results", 100000, "số kết quả nghiên cứu sinh ra")
	dir := fs.String("dir", "", "thư mục dữ liệu đo, giữ lại để dùng lại lần sau (mặc định: thư mục tạm, xoá khi xong)")
	size := fs.Int("size", server.DefaultSize, "số đề xuất cho mỗi nhu cầu")
	workers := fs.Int("workers", 0, "số nhu cầu ghép song song (mặc định GOMAXPROCS)")
	cpuprofile := fs.String("cpuprofile", "", "ghi hồ sơ CPU của phần ghép nối ra TỆP (go tool pprof)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{"bench match không nhận đối số vị trí"}
	}
	if *nNeeds <= 0 || *nResults <= 0 {
		return usageError{"--needs và --results phải lớn hơn 0"}
	}
	if *size < 1 || *size > server.MaxSize {
		return usageError{fmt.Sprintf("--size phải từ 1 đến %d", server.MaxSize)}
	}
	data := *dir
	if data == "" {
		tmp, err := os.MkdirTemp("", "ketnoi-bench-match-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		data = filepath.Join(tmp, "data")
	}
	if err := benchMatchData(e, data, *nNeeds, *nResults); err != nil {
		return err
	}

	// Exactly what "ketnoi match --all --csv F --html F" does, files included; its own output is kept aside.
	debug.FreeOSMemory() // what generating and indexing left on the heap must not count
	resetPeakRSS()
	stopProfile, err := startCPUProfile(*cpuprofile)
	if err != nil {
		return err
	}
	// The progress bar shows on stderr; the command's summary is replaced by the figures below.
	me := &env{stdout: io.Discard, stderr: e.stderr, data: data}
	o := matchAllOptions{size: *size, csv: filepath.Join(data, "bench-match.csv"), html: filepath.Join(data, "bench-match.html"), workers: *workers}
	start := time.Now()
	r, err := matchAll(context.Background(), me, o)
	if err == nil {
		err = writeMatchAll(me, o, r)
	}
	wall := time.Since(start)
	stopProfile()
	if err != nil {
		return fmt.Errorf("ketnoi match --all thất bại: %w", err)
	}
	hwm := peakRSS()
	var took []float64
	for _, n := range r.Needs {
		took = append(took, n.TookMS)
	}
	w := *workers
	if w < 1 {
		w = runtime.GOMAXPROCS(0)
	}
	fmt.Fprintf(e.stdout, "ketnoi match --all --size %d --csv --html: %d nhu cầu × %d kết quả, %d luồng, trong %s: %.1f nhu cầu/s, %d đề xuất\n",
		*size, r.OpenNeeds, *nResults, w, wall.Round(time.Millisecond), float64(r.OpenNeeds)/wall.Seconds(), r.MatchCount)
	fmt.Fprintf(e.stdout, "  mỗi nhu cầu (trong lúc %d nhu cầu chạy song song): p50 %.0f ms, p95 %.0f ms, lâu nhất %.0f ms\n",
		w, percentileOf(took, 50), percentileOf(took, 95), percentileOf(took, 100))
	if hwm > 0 {
		fmt.Fprintf(e.stdout, "  đỉnh bộ nhớ thường trú (VmHWM, gồm cả tệp ánh xạ) trong lúc ghép: %.0f MB\n", float64(hwm)/(1<<20))
	}
	return nil
}

// benchMatchData makes sure data holds exactly the generated corpus of that size: reused when it does,
// generated and indexed (as ketnoi index does) when the directory is new.
func benchMatchData(e *env, data string, nNeeds, nResults int) error {
	if _, err := os.Stat(filepath.Join(data, "store.db")); err == nil {
		st, err := openStore(data)
		if err != nil {
			return err
		}
		counts, err := st.Counts()
		st.Close()
		if err != nil {
			return err
		}
		if counts[corpus.KindNeed] != nNeeds || counts[corpus.KindResult] != nResults {
			return fmt.Errorf("thư mục %s đã có %d nhu cầu và %d kết quả, không phải %d và %d; chọn thư mục khác",
				data, counts[corpus.KindNeed], counts[corpus.KindResult], nNeeds, nResults)
		}
		fmt.Fprintf(e.stdout, "Dùng lại dữ liệu đo trong %s: %d nhu cầu, %d kết quả\n", data, nNeeds, nResults)
		return nil
	}
	if err := os.MkdirAll(data, 0o755); err != nil {
		return err
	}
	results, needs := filepath.Join(data, "bench-ketqua.jsonl"), filepath.Join(data, "bench-nhucau.jsonl")
	if err := writeBenchRecords(results, nResults); err != nil {
		return err
	}
	if err := writeBenchNeeds(needs, nNeeds); err != nil {
		return err
	}
	start := time.Now()
	ie := &env{stdout: io.Discard, stderr: e.stderr, data: data}
	var ee exitError
	if err := runIndex(ie, []string{"--quiet", results, needs}); err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("lập chỉ mục dữ liệu đo: %w", err)
	}
	fmt.Fprintf(e.stdout, "Đã sinh và lập chỉ mục %d kết quả, %d nhu cầu trong %s (thư mục %s)\n",
		nResults, nNeeds, time.Since(start).Round(time.Second), data)
	return nil
}

// benchNeedPool is what generated needs are recombined from: the sample needs of one field of research.
type benchNeedPool struct {
	bases     []*corpus.Need
	sentences []string
}

// writeBenchNeeds writes n generated needs (JSONL), each 60–100 syllables of title and description in an
// enterprise's words, recombined from the sample needs of one field with one sample need's metadata. The
// generator is seeded: the same n gives the same file.
func writeBenchNeeds(path string, n int) error {
	groups, err := sampleByField(func(n *corpus.Need) []string { return n.FieldCodes })
	if err != nil {
		return err
	}
	var pools []*benchNeedPool
	for _, g := range groups {
		p := &benchNeedPool{bases: g}
		for _, nd := range g {
			p.sentences = append(p.sentences, sentences(nd.Description)...)
		}
		pools = append(pools, p)
	}
	if len(pools) == 0 {
		return errors.New("bộ mẫu không có nhu cầu để sinh dữ liệu đo")
	}
	rng := rand.New(rand.NewPCG(2025, uint64(n)+7))
	return writeJSONLines(path, n, func(i int) any { return benchNeed(rng, pools[rng.IntN(len(pools))], i) })
}

func benchNeed(rng *rand.Rand, p *benchNeedPool, i int) *corpus.Need {
	base := p.bases[rng.IntN(len(p.bases))]
	nd := &corpus.Need{ID: fmt.Sprintf("bench-nc-%05d", i+1), Kind: corpus.KindNeed,
		Title: base.Title, Enterprise: base.Enterprise, Sectors: base.Sectors,
		FieldCodes: base.FieldCodes, MinTRL: base.MinTRL, BudgetVND: base.BudgetVND, TransferForms: base.TransferForms,
		Province: base.Province, LegacyProvince: base.LegacyProvince, Locality: base.Locality}
	// Some of the base need's own sentences first, so that the need stays about one thing, then sentences
	// of other needs of the field, so that no two needs are the same.
	own := sentences(base.Description)
	rng.Shuffle(len(own), func(i, j int) { own[i], own[j] = own[j], own[i] })
	own = own[:min(len(own), 1+rng.IntN(3))]
	target := 60 + rng.IntN(41)
	words := len(strings.Fields(nd.Title))
	var desc []string
	for tries := 0; tries < 30 && words < target; tries++ {
		s := p.sentences[rng.IntN(len(p.sentences))]
		if tries < len(own) {
			s = own[tries]
		}
		if k := len(strings.Fields(s)); words+k <= 100 || len(desc) == 0 {
			desc = append(desc, s)
			words += k
		}
	}
	nd.Description = norm.NFC.String(strings.Join(desc, " "))
	return nd
}

// resetPeakRSS makes VmHWM start again from the current resident set (Linux), so that what is measured
// after it is not the peak of an earlier phase.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
