package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ketnoi/corpus"
	"ketnoi/corpus/sample"
	"ketnoi/indexer/extract"
	"ketnoi/internal/pdffixture"
)

const benchPDFHelp = `bench pdf đo mục tiêu "lập chỉ mục không phải nút cổ chai" trên báo cáo PDF sạch: tốc độ của cả đường
ống ("ketnoi index --no-ocr" thật, trong một tiến trình con, vào một thư mục dữ liệu mới) so với tốc độ chỉ
trích văn bản của cùng các tệp với cùng số tiến trình trích. In số trang/giây của mỗi phần, tỉ lệ giữa
hai phần và đỉnh tổng bộ nhớ thường trú (RSS) của cả cây tiến trình lập chỉ mục, lấy mẫu mỗi 100 ms (trang
dùng chung tính ở mỗi tiến trình: cận trên). --rounds chạy xen kẽ hai phép đo nhiều lần (máy dùng chung
nên số đo dao động). Tệp đo: các báo cáo trong --dir (đệ quy, như "ketnoi index" đọc; thư mục có tệp bản
ghi hay tệp lạ thì bị từ chối), ví dụ báo cáo thật của sở; thư mục trống hay chưa có thì sinh --files báo
cáo PDF --pages trang (phông Type0 nhúng với bảng ToUnicode như LibreOffice xuất, chữ ghép từ bộ mẫu) vào
--dir để lần sau dùng lại, hoặc vào thư mục tạm xoá khi xong. Cần phông DejaVu Sans (gói
fonts-dejavu-core) để sinh tệp. --server đo thêm đường tải lên: "ketnoi serve" mới (thư mục dữ liệu mới, nạp
bộ mẫu như mọi máy chủ mới) nhận các tệp từ "ketnoi index --server"; RSS tính cả cây tiến trình máy chủ.`

type benchPDFOptions struct {
	files, pages, workers, rounds int
	dir                           string
	server                        bool
}

func runBenchPDF(e *env, c *command, args []string) error {
	fs := newFlags(e, c)
	var o benchPDFOptions
	fs.IntVar(&o.files, "files", 500, "số báo cáo PDF sinh ra khi --dir không có PDF")
	fs.IntVar(&o.pages, "pages", 10, "số trang mỗi báo cáo sinh ra")
	fs.IntVar(&o.workers, "workers", defaultWorkers(), "số tiến trình trích xuất, cho cả hai phép đo")
	fs.IntVar(&o.rounds, "rounds", 1, "số lượt đo (mỗi lượt: chỉ trích, rồi cả đường ống)")
	fs.StringVar(&o.dir, "dir", "", "thư mục báo cáo để đo, hoặc để giữ các tệp sinh ra; mặc định: thư mục tạm")
	fs.BoolVar(&o.server, "server", false, "đo thêm đường tải lên qua một máy chủ (ketnoi index --server)")
	pos, err := parse(e, c, fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usageError{"bench pdf không nhận đối số vị trí (dùng --dir)"}
	case o.files <= 0 || o.pages <= 0 || o.workers <= 0 || o.rounds <= 0:
		return usageError{"--files, --pages, --workers và --rounds phải lớn hơn 0"}
	}
	tmp, err := os.MkdirTemp("", "ketnoi-bench-pdf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	dir := o.dir
	if dir == "" {
		dir = filepath.Join(tmp, "pdf")
	}
	files, generated, err := benchPDFFiles(dir, o)
	if err != nil {
		return err
	}
	if generated {
		fmt.Fprintf(e.stdout, "Đã sinh %d báo cáo %d trang vào %s.\n", len(files), o.pages, dir)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "Đo %d tệp báo cáo, %d tiến trình trích; tải trung bình lúc đầu %s (máy dùng chung: các tiến trình khác cũng chiếm CPU).\n",
		len(files), o.workers, loadAvg())
	for r := 1; r <= o.rounds; r++ {
		x, err := benchExtractOnly(files, o.workers)
		if err != nil {
			return err
		}
		p, err := benchPipeline(self, dir, filepath.Join(tmp, fmt.Sprintf("data-%d", r)), o.workers)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Lượt %d:\n", r)
		fmt.Fprintf(e.stdout, "  chỉ trích:                 %d trang, %.1f MB chữ trong %s: %.0f trang/giây (%d tệp lỗi)\n",
			x.pages, float64(x.textBytes)/(1<<20), x.wall.Round(time.Millisecond), float64(x.pages)/x.wall.Seconds(), x.failed)
		fmt.Fprintf(e.stdout, "  trích + lập chỉ mục:       %s: %.0f trang/giây; đỉnh tổng RSS cả cây tiến trình %s\n",
			p.wall.Round(time.Millisecond), float64(x.pages)/p.wall.Seconds(), mb(p.peakRSS))
		fmt.Fprintf(e.stdout, "  tỉ lệ đường ống/chỉ trích: %.0f %% (mục tiêu ≥ 90 %%)\n", 100*x.wall.Seconds()/p.wall.Seconds())
		os.RemoveAll(filepath.Join(tmp, fmt.Sprintf("data-%d", r)))
		if o.server {
			data := filepath.Join(tmp, fmt.Sprintf("server-%d", r))
			sv, err := benchServer(self, dir, data, o.workers)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "  qua máy chủ (index --server): %s: %.0f trang/giây, %.0f %% của chỉ trích; đỉnh RSS máy chủ và khách %s\n",
				sv.wall.Round(time.Millisecond), float64(x.pages)/sv.wall.Seconds(), 100*x.wall.Seconds()/sv.wall.Seconds(), mb(sv.peakRSS))
			os.RemoveAll(data)
			os.Remove(data + ".log")
		}
	}
	return nil
}

// benchPDFFiles lists the reports `ketnoi index dir` would extract, or generates o.files PDFs in dir when it
// has none. Record files would make the pipeline do work that extraction alone does not: they are refused.
func benchPDFFiles(dir string, o benchPDFOptions) ([]string, bool, error) {
	if _, err := os.Stat(dir); err == nil {
		found, problems := collectFiles([]string{dir})
		if len(problems) > 0 {
			return nil, false, fmt.Errorf("đọc thư mục đo: %s", strings.Join(problems, "; "))
		}
		docs, records, skipped := classifyFiles(found)
		if other := append(records, skipped...); len(other) > 0 {
			return nil, false, fmt.Errorf("thư mục đo %s chỉ được chứa báo cáo (PDF, DOCX, ODT, TXT, kèm tệp .json cạnh báo cáo), nhưng có %d tệp khác, ví dụ %s",
				dir, len(other), other[0])
		}
		if len(docs) > 0 {
			return docs, false, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, false, err
	}
	font, err := pdffixture.LoadFont()
	if err != nil {
		return nil, false, fmt.Errorf("không sinh được PDF đo: %w (cài gói fonts-dejavu-core, hoặc chỉ --dir tới một thư mục PDF có sẵn)", err)
	}
	texts, err := sampleWords()
	if err != nil {
		return nil, false, err
	}
	rnd := rand.New(rand.NewPCG(7, 9)) // the same files on every machine
	var files []string
	for i := range o.files {
		pages := make([][]string, o.pages)
		for p := range pages {
			var lines []string
			if p == 0 {
				lines = append(lines, fmt.Sprintf("BÁO CÁO TỔNG KẾT ĐỀ TÀI SỐ %d/2024", i+1))
			}
			// 38 lines of 10–12 syllables: a full A4 page of a report, about 2.6 KB of text.
			for len(lines) < 38 {
				w := texts[rnd.IntN(len(texts))]
				s := rnd.IntN(len(w) - 12)
				lines = append(lines, strings.Join(w[s:s+10+rnd.IntN(3)], " "))
			}
			pages[p] = lines
		}
		name := fmt.Sprintf("bao-cao-%05d", i+1)
		f, err := pdffixture.Report(name, font, pages)
		if err != nil {
			return nil, false, fmt.Errorf("sinh %s: %w", name, err)
		}
		path := filepath.Join(dir, name+".pdf")
		if err := os.WriteFile(path, f.PDF, 0o644); err != nil {
			return nil, false, err
		}
		files = append(files, path)
	}
	return files, true, nil
}

// sampleWords is the words of every bundled sample result long enough to cut lines from.
func sampleWords() ([][]string, error) {
	recs, err := sample.Records()
	if err != nil {
		return nil, err
	}
	var texts [][]string
	for _, r := range recs {
		if res, ok := r.(*corpus.Result); ok {
			w := strings.Fields(res.Title + " " + res.Summary + " " + res.Body + " " + res.Applications + " " + res.Advantages)
			if len(w) > 30 {
				texts = append(texts, w)
			}
		}
	}
	if len(texts) == 0 {
		return nil, errors.New("bộ mẫu không có kết quả đủ dài để sinh PDF")
	}
	return texts, nil
}

type extractRun struct {
	pages, failed int
	textBytes     int64
	wall          time.Duration
}

// benchExtractOnly extracts the files as `ketnoi index` does (a worker process per core, OCR off) and
// keeps nothing.
func benchExtractOnly(files []string, workers int) (extractRun, error) {
	x := extract.NewExtractor(extract.Options{FileTimeout: 2 * time.Minute, NoOCR: true}, workers, workerCommand)
	defer x.Close()
	var r extractRun
	start := time.Now()
	extractAll(context.Background(), x, files, workers, func(d *extract.Document, _ time.Duration) {
		if d.Err != nil {
			r.failed++
			return
		}
		r.pages += len(d.Pages)
		for _, p := range d.Pages {
			r.textBytes += int64(len(p.Text))
		}
	})
	r.wall = time.Since(start)
	if r.pages == 0 {
		return r, errors.New("không trích được trang nào")
	}
	return r, nil
}

type pipelineRun struct {
	wall    time.Duration
	peakRSS int64 // of the index process and its extraction workers together
}

// benchPipeline runs `ketnoi index --no-ocr` on dir into a new data directory, sampling the resident
// memory of its whole process tree.
func benchPipeline(self, dir, data string, workers int) (pipelineRun, error) {
	return benchRun(exec.Command(self, "index", "--data", data, "--no-ocr", "--quiet", "--workers", strconv.Itoa(workers), dir))
}

// benchServer starts `ketnoi serve` on a new data directory, with OCR off and the extraction workers of
// the other two measurements, and times `ketnoi index --server` sending dir to it, sampling the memory of
// both process trees.
func benchServer(self, dir, data string, workers int) (pipelineRun, error) {
	key, err := exec.Command(self, "keys", "create", "--data", data, "--name", "bench pdf", "--role", "staff").Output()
	if err != nil {
		return pipelineRun{}, fmt.Errorf("ketnoi keys create: %w", err)
	}
	srv, err := startLoadServer(self, data, data+".log", "--no-ocr", "--workers", strconv.Itoa(workers))
	if err != nil {
		return pipelineRun{}, err
	}
	defer srv.stop()
	cmd := exec.Command(self, "index", "--server", srv.url, "--quiet", dir)
	cmd.Env = append(os.Environ(), "KETNOI_KEY="+strings.TrimSpace(string(key)))
	r, err := benchRun(cmd, srv.pid())
	if err != nil {
		return r, fmt.Errorf("%w\nnhật ký máy chủ:\n%s", err, srv.logTail())
	}
	return r, nil
}

// benchRun runs cmd to its end, sampling the resident memory of its process tree and of the trees of also.
func benchRun(cmd *exec.Cmd, also ...int) (pipelineRun, error) {
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return pipelineRun{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	rss := func() int64 {
		n := treeRSS(cmd.Process.Pid)
		for _, pid := range also {
			n += treeRSS(pid)
		}
		return n
	}
	r := pipelineRun{peakRSS: rss()}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			r.wall = time.Since(start)
			if err != nil {
				return r, fmt.Errorf("ketnoi %s: %w\n%s", cmd.Args[1], err, out.String())
			}
			// A run shorter than a sample period still has the process's own peak.
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				r.peakRSS = max(r.peakRSS, ru.Maxrss<<10)
			}
			return r, nil
		case <-tick.C:
			r.peakRSS = max(r.peakRSS, rss())
		}
	}
}

// treeRSS is the sum of the resident memory of pid and all its descendants, in bytes (0 where /proc is
// missing). Pages the processes share (the same binary in every extraction worker) count once per process:
// an upper bound of what the tree holds, which is what a memory limit must allow for.
func treeRSS(pid int) int64 {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so cut after the last ')'.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
				parent[p], _ = strconv.Atoi(f[1])
			}
		}
	}
	var sum int64
	for p := range parent {
		for q := p; q > 1; q = parent[q] {
			if q == pid {
				sum += procStatus(p, "VmRSS")
				break
			}
		}
	}
	return sum
}
