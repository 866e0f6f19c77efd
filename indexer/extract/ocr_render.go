package extract

// Page images out of a PDF for OCR: JPEG scans copied out with pdfimages, other pages rendered with
// pdftoppm as a PGM stream.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fileLevel reports whether a pdftoppm failure concerns the whole file rather than a page: the program is
// missing, or it exited 1 (the PDF could not be opened) or 3 (permissions).
func fileLevel(err error) bool {
	var ee *exec.ExitError
	var nf *exec.Error
	return errors.As(err, &nf) || errors.As(err, &ee) && (ee.ExitCode() == 1 || ee.ExitCode() == 3)
}

var pdfimagesName = regexp.MustCompile(`-(\d+)-(\d+)\.([a-z]+)$`)

// copyJPEGs copies the JPEG streams of consecutive pages out with one pdfimages -j and returns the file of
// each page that gave exactly one JPEG.
func copyJPEGs(ctx context.Context, pdfPath, dir string, pages []int, pdfimages string) (map[int]string, error) {
	root := filepath.Join(dir, fmt.Sprintf("j%d", pages[0]))
	cmd := exec.CommandContext(ctx, pdfimages, "-j", "-p", "-f", strconv.Itoa(pages[0]), "-l", strconv.Itoa(pages[len(pages)-1]), pdfPath, root)
	stderr := &ocrStderr{}
	cmd.Stderr, cmd.WaitDelay = stderr, time.Second
	runErr := cmd.Run()
	files, _ := filepath.Glob(root + "-*")
	byPage := map[int][]string{}
	for _, f := range files {
		if m := pdfimagesName.FindStringSubmatch(f); m != nil {
			p, _ := strconv.Atoi(m[1])
			byPage[p] = append(byPage[p], f)
		}
	}
	got := map[int]string{}
	for p, fs := range byPage {
		if runErr == nil && len(fs) == 1 && strings.HasSuffix(fs[0], ".jpg") {
			got[p] = fs[0]
			continue
		}
		for _, f := range fs {
			os.Remove(f)
		}
	}
	if runErr != nil {
		return got, fmt.Errorf("pdfimages lỗi: %w (%s)", runErr, stderr)
	}
	return got, nil
}

// renderPages renders consecutive pages in gray at opts.DPI with one pdftoppm, which, given no output
// root, writes the pages one after another to stdout as PGM; each is saved to the temp dir and handed to
// emit as soon as it is complete. emit returning false stops the run. The error says why not every page
// came out.
func renderPages(ctx context.Context, pdfPath, dir string, pages []int, opts OCROptions, emit func(ocrImage) bool) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	cmd := exec.CommandContext(runCtx, opts.Pdftoppm, "-r", strconv.Itoa(opts.DPI), "-gray",
		"-f", strconv.Itoa(pages[0]), "-l", strconv.Itoa(pages[len(pages)-1]), pdfPath)
	stderr := &ocrStderr{}
	cmd.Stderr, cmd.WaitDelay = stderr, time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("không chạy được pdftoppm: %w", err)
	}
	br := bufio.NewReaderSize(stdout, 1<<20)
	var readErr error
	for _, p := range pages {
		path := filepath.Join(dir, fmt.Sprintf("p%d.pgm", p))
		if readErr = savePNM(br, path); readErr != nil {
			os.Remove(path)
			break
		}
		if !emit(ocrImage{page: p, path: path, dpi: opts.DPI}) {
			stop() // nobody takes the rest
			break
		}
	}
	io.Copy(io.Discard, br) // let pdftoppm finish writing, or see it killed
	waitErr := cmd.Wait()
	switch {
	case readErr == nil:
		return nil
	case ctx.Err() != nil:
		return fmt.Errorf("đã dừng: %w", ctx.Err())
	case waitErr != nil:
		return fmt.Errorf("pdftoppm lỗi: %w (%s)", waitErr, stderr)
	case errors.Is(readErr, io.EOF):
		return fmt.Errorf("pdftoppm không cho ảnh trang (trang ngoài tệp?): %w", readErr)
	default:
		return fmt.Errorf("pdftoppm cho ảnh hỏng: %w", readErr)
	}
}

// savePNM copies one binary PGM/PPM image from r to a file.
func savePNM(r *bufio.Reader, path string) error {
	magic, err := pnmToken(r)
	if err != nil {
		return err
	}
	if magic != "P5" && magic != "P6" {
		return fmt.Errorf("không phải ảnh PNM (%q)", magic)
	}
	var v [3]int
	for i := range v {
		t, err := pnmToken(r)
		if err != nil {
			return err
		}
		if v[i], err = strconv.Atoi(t); err != nil || v[i] <= 0 || v[i] > 1<<16 {
			return fmt.Errorf("đầu ảnh PNM sai (%q)", t)
		}
	}
	// pnmToken consumed the single whitespace after maxval; the samples follow.
	n := int64(v[0]) * int64(v[1])
	if magic == "P6" {
		n *= 3
	}
	if v[2] > 255 {
		n *= 2
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, "%s\n%d %d\n%d\n", magic, v[0], v[1], v[2])
	if _, err := io.CopyN(w, r, n); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// pnmToken reads a header token, skipping whitespace and # comments, and consumes the one whitespace byte
// after it.
func pnmToken(r *bufio.Reader) (string, error) {
	var b []byte
	for {
		c, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(b) > 0 {
				return string(b), nil
			}
			return "", err
		}
		switch {
		case c == '#' && len(b) == 0:
			if _, err := r.ReadString('\n'); err != nil {
				return "", err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if len(b) > 0 {
				return string(b), nil
			}
		default:
			if len(b) >= 16 {
				return "", errors.New("đầu ảnh PNM sai")
			}
			b = append(b, c)
		}
	}
}
