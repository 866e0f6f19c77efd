package server

import (
	"strings"
	"testing"
)

func TestParseBudget(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		bad  string // a piece of the message when the amount is refused
	}{
		{"", 0, ""},
		{"300", 300_000_000, ""},
		{" 300 triệu ", 300_000_000, ""},
		{"1,5 tỷ", 1_500_000_000, ""},
		{"1.5 tỷ", 1_500_000_000, ""}, // a decimal point typed the English way
		{"1.500", 1_500_000_000, ""},  // dots group thousands: 1.500 triệu
		{"2 Tỷ", 2_000_000_000, ""},
		{"300.000.000 đồng", 300_000_000, ""},
		{"300000000", 300_000_000, ""}, // a bare number this large can only be in đồng
		{"500 nghìn", 500_000, ""},
		{"0,25", 250_000, ""},
		{"ba trăm", 0, "Không đọc được số tiền «ba trăm»"},
		{"1.50.0", 0, "Không đọc được"},
		{"-5", 0, "Không đọc được"},
		{"1,0000001", 0, "lẻ dưới một đồng"},
		{"99999999999999999 tỷ", 0, "quá lớn"},
	}
	for _, tt := range tests {
		got, msg := parseBudget(tt.in)
		if got != tt.want || (tt.bad == "") != (msg == "") || !strings.Contains(msg, tt.bad) {
			t.Errorf("parseBudget(%q) = %d, %q; want %d, %q", tt.in, got, msg, tt.want, tt.bad)
		}
	}
}

// TestFormatBudgetRoundTrips: what the staff form shows of a stored amount reads back as that amount.
func TestFormatBudgetRoundTrips(t *testing.T) {
	for _, n := range []int64{0, 300_000_000, 1_500_000_000, 250_000, 123_456_789, 2_000_000_000_000, 7} {
		s := formatBudget(n)
		if got, msg := parseBudget(s); got != n || msg != "" {
			t.Errorf("%d → %q → %d (%s)", n, s, got, msg)
		}
	}
}
