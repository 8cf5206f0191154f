package guarantee

import (
	"testing"
	"time"

	"bricstown/internal/problem"
)

func TestTimeoutNeverEndsBeforeValidity(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 500_000_000, time.UTC)
	for _, c := range []struct {
		until time.Time
		want  int64
	}{
		{now.Add(-time.Second), 0},
		{now, 0},
		{now.Add(time.Microsecond), 1},
		{now.Add(time.Second), 1},
		{now.Add(time.Second + time.Nanosecond), 2},
		{now.Add(24 * time.Hour), 86400},
	} {
		got := timeoutSeconds(c.until, now)
		if got != c.want {
			t.Errorf("timeout to %v: %d, want %d", c.until.Sub(now), got, c.want)
		}
		if got > 0 && now.Add(time.Duration(got)*time.Second).Before(c.until) {
			t.Errorf("the reservation would end before the guarantee")
		}
	}
}

func TestStatusAt(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	g := Guarantee{Status: Active, ValidUntil: end}
	if g.StatusAt(end.Add(-time.Second)) != Active || g.StatusAt(end) != Expired {
		t.Fatal("active guarantees expire at the end of validity")
	}
	g.Status = Cancelled
	if g.StatusAt(end.Add(time.Hour)) != Cancelled {
		t.Fatal("a released guarantee stays released")
	}
}

func TestParseUntilAndAmounts(t *testing.T) {
	if d, ok := parseUntil("2026-12-31"); !ok || d != time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC) {
		t.Fatalf("date: %v %v", d, ok)
	}
	if d, ok := parseUntil("2026-12-31T10:00:00+05:00"); !ok || d.Hour() != 5 {
		t.Fatalf("time: %v %v", d, ok)
	}
	if _, ok := parseUntil("31.12.2026"); ok {
		t.Fatal("a foreign date format was accepted")
	}
	for _, v := range []int64{0, -1, MaxAmountKZT + 1, 9223372036854775807} {
		f := problem.Fields{}
		CheckAmount(f, "amount_kzt", v)
		if f["amount_kzt"] == "" {
			t.Errorf("amount %d accepted", v)
		}
	}
	f := problem.Fields{}
	CheckAmount(f, "amount_kzt", MaxAmountKZT)
	if len(f) != 0 {
		t.Fatalf("the largest amount refused: %v", f)
	}
}

func TestLedgerIDsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range []string{"a", "b"} {
		for seq := int64(0); seq < 3; seq++ {
			for _, id := range []string{holdID(g, seq).String(), drawID(g, seq).String(), voidID(g, seq).String()} {
				if seen[id] {
					t.Fatalf("id %s derived twice", id)
				}
				seen[id] = true
			}
		}
	}
}
