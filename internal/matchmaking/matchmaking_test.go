package matchmaking

import "testing"

func TestGreedyIsValidAndSkipsConflicts(t *testing.T) {
	p := Problem{Participants: 3, Slots: 1, Tables: 5, Requests: []Request{{A: 0, B: 1}, {A: 1, B: 2}, {A: 0, B: 2}}}
	ms := Greedy(p)
	if !Valid(p, ms) {
		t.Fatalf("invalid schedule %+v", ms)
	}
	if len(ms) != 1 {
		t.Fatalf("one slot, three overlapping pairs: want 1 meeting, got %d", len(ms))
	}
	p.Slots = 3
	if ms := Schedule(p); len(ms) != 3 || !Valid(p, ms) {
		t.Fatalf("three slots: want 3 valid meetings, got %+v", ms)
	}
	if Valid(p, []Meeting{{Request: 0, Slot: 0, Table: 0}, {Request: 1, Slot: 0, Table: 1}}) {
		t.Fatal("participant 1 in two meetings in slot 0 accepted")
	}
}
