package period

import (
	"testing"
	"time"

	"bricstown/internal/problem"
)

func TestBound(t *testing.T) {
	def := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := problem.Fields{}
	if got := Bound(f, "from", "2026-03-02", false, def); !got.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("from date: %v", got)
	}
	if got := Bound(f, "to", "2026-03-02", true, def); !got.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("to date is not the whole day: %v", got)
	}
	if got := Bound(f, "to", "2026-03-02T09:30:00+05:00", true, def); !got.Equal(time.Date(2026, 3, 2, 4, 30, 0, 0, time.UTC)) {
		t.Fatalf("to time: %v", got)
	}
	if got := Bound(f, "to", " ", true, def); !got.Equal(def) || len(f) != 0 {
		t.Fatalf("empty: %v %v", got, f)
	}
	if got := Bound(f, "to", "yesterday", true, def); !got.Equal(def) || f["to"] == "" {
		t.Fatalf("bad text: %v %v", got, f)
	}
}
