package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// maxPasswordLine bounds what is read as one password from a pipe.
const maxPasswordLine = 4096

// readPassword reads a new password: from a terminal with the echo off, asked twice; from anything else
// (a pipe, a file: scripts) as the first line. It is never an argument, which would land in the shell's
// history and in the process list.
func readPassword(e *env, prompt string) (string, error) {
	if f, ok := e.stdin.(*os.File); ok {
		if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			pw, err := askTerminal(f, e.stderr, prompt)
			if err != nil {
				return "", err
			}
			again, err := askTerminal(f, e.stderr, "Nhập lại mật khẩu: ")
			if err != nil {
				return "", err
			}
			if again != pw {
				return "", errors.New("hai lần nhập mật khẩu không khớp; chưa thay đổi gì")
			}
			return pw, nil
		}
	}
	if e.stdin == nil {
		return "", errors.New("không có đầu vào chuẩn để đọc mật khẩu")
	}
	line, err := bufio.NewReaderSize(io.LimitReader(e.stdin, maxPasswordLine+1), maxPasswordLine+1).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("đọc mật khẩu từ đầu vào chuẩn: %w", err)
	}
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("mật khẩu dài quá %d byte", maxPasswordLine)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("không đọc được mật khẩu: đầu vào chuẩn trống (gõ mật khẩu trên một dòng, hoặc chạy lệnh trong terminal)")
	}
	return line, nil
}

// askTerminal prints prompt and reads a line from terminal f without echoing it. The terminal's settings
// come back afterwards, also when the user presses Ctrl+C meanwhile.
func askTerminal(f *os.File, out io.Writer, prompt string) (string, error) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return "", fmt.Errorf("đọc cài đặt terminal: %w", err)
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return "", fmt.Errorf("tắt hiện chữ trên terminal: %w", err)
	}
	restore := func() { _ = unix.IoctlSetTermios(fd, unix.TCSETS, old) }
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sig)
		close(done)
		restore()
	}()
	go func() {
		select {
		case <-sig:
			restore()
			fmt.Fprintln(out)
			os.Exit(130)
		case <-done:
		}
	}()
	fmt.Fprint(out, prompt)
	line, err := bufio.NewReaderSize(io.LimitReader(f, maxPasswordLine+1), 256).ReadString('\n')
	fmt.Fprintln(out) // the Enter the user typed was not echoed either
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("đọc mật khẩu: %w", err)
	}
	if len(line) > maxPasswordLine {
		return "", fmt.Errorf("mật khẩu dài quá %d byte", maxPasswordLine)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
