package ui

import (
	"testing"
	"time"
)

// Only failed sign-ins are limited: twenty in a burst, then one every
// interval; another address is not affected.
func TestLoginLimiterCountsFailuresOnly(t *testing.T) {
	l := newLimiter()
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 100; i++ {
		if l.blocked("10.0.0.1", now) { // successful sign-ins spend nothing
			t.Fatal("blocked without a failure")
		}
	}
	for i := 0; i < 20; i++ {
		if l.blocked("10.0.0.1", now) {
			t.Fatalf("blocked after %d failures", i)
		}
		l.fail("10.0.0.1", now)
	}
	if !l.blocked("10.0.0.1", now) {
		t.Fatal("not blocked after 20 failures")
	}
	if l.blocked("10.0.0.2", now) {
		t.Fatal("another address blocked")
	}
	if l.blocked("10.0.0.1", now.Add(3*time.Second)) {
		t.Fatal("still blocked after one interval")
	}
}
