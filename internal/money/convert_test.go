package money

import (
	"errors"
	"math"
	"testing"
)

// The worked examples in ROUNDING.md; keep the two in step.
func TestConvertWorkedExamples(t *testing.T) {
	tests := []struct {
		name           string
		amount         int64
		from           int
		rate           string
		to             int
		down, up, even int64
	}{
		{"KZT→CNY 1234.56", 123456, 2, "0.01523", 2, 1880, 1881, 1880},       // 18.8023488
		{"KZT→CNY 1000.00 exact", 100000, 2, "0.01523", 2, 1523, 1523, 1523}, // 15.23
		{"KZT→JPY 1234.56", 123456, 2, "0.2987", 0, 368, 369, 369},           // 368.763072
		{"KZT→KWD 1234.56", 123456, 2, "0.000603", 3, 744, 745, 744},         // 0.74443968
		{"KZT→CNY 0.01", 1, 2, "0.01523", 2, 0, 1, 0},                        // 0.0001523
		{"KZT→JPY tie 2.5", 500, 2, "0.5", 0, 2, 3, 2},
		{"KZT→JPY tie 3.5", 700, 2, "0.5", 0, 3, 4, 4},
		{"KZT→CNY negative", -123456, 2, "0.01523", 2, -1880, -1881, -1880},
		{"KZT→JPY negative tie", -500, 2, "0.5", 0, -2, -3, -2},
		{"KWD→KZT", 1000, 3, "1658.37", 2, 165837, 165837, 165837},
		{"JPY→KZT", 1000, 0, "3.348", 2, 334800, 334800, 334800},
		{"JPY→KWD scale up", 5, 0, "2", 3, 10000, 10000, 10000},
		{"identity", 123456, 2, "1", 2, 123456, 123456, 123456},
		{"max identity", math.MaxInt64, 2, "1", 2, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"min identity", math.MinInt64, 2, "1", 2, math.MinInt64, math.MinInt64, math.MinInt64},
		// k = 18 + 12 - 10 = 20: the divisor needs two words.
		{"k=20 exact tie", 6250000000000000000, 18, "0.000000000008", 10, 0, 1, 0},
		{"k=20 just over tie", 3846153846153846154, 18, "0.000000000013", 10, 0, 1, 1},
		{"k=20 just under tie", 9131647862473, 18, "0.000005475463", 10, 0, 1, 0},
		{"k=30 tiny", 1, 18, "0.000000000001", 0, 0, 1, 0},
		{"k=30 max", math.MaxInt64, 18, "999999.999999999999", 0, 9223372, 9223373, 9223372},
	}
	for _, tt := range tests {
		r := mustRate(t, tt.rate)
		for i, want := range []int64{tt.down, tt.up, tt.even} {
			got, err := Convert(tt.amount, tt.from, r, tt.to, modes[i])
			if err != nil || got != want {
				t.Errorf("%s %v: Convert = %d, %v; want %d", tt.name, modes[i], got, err, want)
			}
		}
	}
}

func TestConvertErrors(t *testing.T) {
	r := mustRate(t, "2")
	tests := []struct {
		name     string
		amount   int64
		from     int
		rate     Rate
		to       int
		mode     Rounding
		msg      string
		overflow bool
	}{
		{"double max", math.MaxInt64, 2, r, 2, RoundDown, "converted amount is too large", true},
		{"double min", math.MinInt64, 2, r, 2, RoundDown, "converted amount is too large", true},
		{"scale up max", math.MaxInt64, 0, mustRate(t, "1"), 2, RoundDown, "too large", true},
		{"scale up 10^18", math.MaxInt64, 0, mustRate(t, "999999999999999999"), 18, RoundDown, "too large", true},
		{"max rate", math.MaxInt64, 0, mustRate(t, "999999.999999999999"), 0, RoundDown, "too large", true},
		{"zero rate", 1, 2, Rate{}, 2, RoundDown, "rate is not set", false},
		{"no mode", 1, 2, r, 2, 0, "rounding mode is not set", false},
		{"bad mode", 1, 2, r, 2, RoundHalfEven + 1, "rounding mode is not set", false},
		{"bad from", 1, -1, r, 2, RoundDown, "exponent -1 is out of range", false},
		{"bad to", 1, 2, r, 19, RoundDown, "exponent 19 is out of range", false},
	}
	for _, tt := range tests {
		got, err := Convert(tt.amount, tt.from, tt.rate, tt.to, tt.mode)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("%s: unexpected error %v", tt.name, err)
			}
			continue
		}
		wantInvalid(t, err, tt.msg)
		if got != 0 {
			t.Errorf("%s: value %d returned with error", tt.name, got)
		}
		if errors.Is(err, ErrOverflow) != tt.overflow {
			t.Errorf("%s: errors.Is(ErrOverflow) = %v", tt.name, !tt.overflow)
		}
	}
}

// Exact results between MaxInt64 and MaxInt64+1: only the modes that round
// toward zero fit. On the negative side the magnitude may reach 2^63.
func TestConvertRoundingAtTheLimit(t *testing.T) {
	tests := []struct {
		amount int64
		rate   string
		want   [3]int64 // RoundDown, RoundUp, RoundHalfEven; 0 = overflow
	}{
		{6148914691236517205, "1.5", [3]int64{math.MaxInt64, 0, 0}}, // MaxInt64 + 0.5, tie to even M+1
		{8384883669867978007, "1.1", [3]int64{math.MaxInt64, 0, 0}}, // MaxInt64 + 0.7
		{-6148914691236517205, "1.5", [3]int64{-math.MaxInt64, math.MinInt64, math.MinInt64}},
		{-8384883669867978007, "1.1", [3]int64{-math.MaxInt64, math.MinInt64, math.MinInt64}},
		{math.MaxInt64, "0.1", [3]int64{922337203685477580, 922337203685477581, 922337203685477581}},
	}
	for _, tt := range tests {
		for i, mode := range modes {
			got, err := Convert(tt.amount, 2, mustRate(t, tt.rate), 2, mode)
			if tt.want[i] == 0 {
				if !errors.Is(err, ErrOverflow) {
					t.Errorf("Convert(%d × %s, %v) = %d, %v; want overflow", tt.amount, tt.rate, mode, got, err)
				}
				continue
			}
			if err != nil || got != tt.want[i] {
				t.Errorf("Convert(%d × %s, %v) = %d, %v; want %d", tt.amount, tt.rate, mode, got, err, tt.want[i])
			}
		}
	}
}

func TestApplyBps(t *testing.T) {
	tests := []struct {
		name           string
		amount, bps    int64
		down, up, even int64
	}{
		{"exact", 100000, 25, 250, 250, 250},
		{"inexact", 12345, 25, 30, 31, 31}, // 30.8625
		{"tie even", 200, 25, 0, 1, 0},     // 0.5
		{"tie odd", 600, 25, 1, 2, 2},      // 1.5
		{"negative bps", 12345, -25, -30, -31, -31},
		{"negative amount", -12345, 25, -30, -31, -31},
		{"both negative", -12345, -25, 30, 31, 31},
		{"zero bps", 12345, 0, 0, 0, 0},
		{"zero amount", 0, 25, 0, 0, 0},
		{"100%", math.MaxInt64, 10000, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"-100% of min", math.MinInt64, 10000, math.MinInt64, math.MinInt64, math.MinInt64},
		{"1 bp of 1", 1, 1, 0, 1, 0},
		{"max bps", 10000, math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{"min bps", 1, math.MinInt64, -922337203685477, -922337203685478, -922337203685478}, // -922337203685477.5808
	}
	for _, tt := range tests {
		for i, want := range []int64{tt.down, tt.up, tt.even} {
			got, err := ApplyBps(tt.amount, tt.bps, modes[i])
			if err != nil || got != want {
				t.Errorf("%s %v: ApplyBps(%d, %d) = %d, %v; want %d", tt.name, modes[i], tt.amount, tt.bps, got, err, want)
			}
		}
	}
	for _, c := range []struct{ amount, bps int64 }{
		{math.MaxInt64, 10001},
		{math.MinInt64, -10000},
		{math.MaxInt64, math.MaxInt64},
		{math.MinInt64, math.MinInt64},
	} {
		if _, err := ApplyBps(c.amount, c.bps, RoundDown); !errors.Is(err, ErrOverflow) {
			t.Errorf("ApplyBps(%d, %d): want overflow, got %v", c.amount, c.bps, err)
		}
	}
	_, err := ApplyBps(1, 1, 0)
	wantInvalid(t, err, "rounding mode is not set")
}
