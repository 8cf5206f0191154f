package sqlstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/notify"
	"bricstown/internal/problem"

	"github.com/google/uuid"
)

func notifyOrg(t *testing.T, db *DB, name string) string {
	t.Helper()
	o := identity.Org{ID: uuid.Must(uuid.NewV7()).String(), Name: name, Kind: identity.KindCompany, Country: "KZ",
		RegScheme: "KZ-BIN", RegID: name, CreatedAt: time.Now()}
	if err := db.CreateOrg(context.Background(), o, audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func notifyHook(t *testing.T, db *DB, org string, n int) notify.Webhook {
	t.Helper()
	w := notify.Webhook{ID: uuid.Must(uuid.NewV7()).String(), OrgID: org, URL: fmt.Sprintf("https://erp.example.kz/hook/%d", n),
		Secret: notify.NewSecret(), CreatedAt: time.Now().UTC().Truncate(time.Microsecond), CreatedBy: "admin"}
	if err := db.CreateWebhook(context.Background(), w, 3, audit.Record{ActorUser: "admin", Action: "notify.webhook.create", SubjectID: w.ID}); err != nil {
		t.Fatal(err)
	}
	return w
}

func notifyDelivery(w notify.Webhook, event string, at time.Time) notify.Delivery {
	return notify.Delivery{ID: uuid.Must(uuid.NewV7()).String(), WebhookID: w.ID, OrgID: w.OrgID, EventID: event, EventType: "customs.declaration.status",
		Payload: []byte(`{"id":"` + event + `"}`), Status: notify.Pending, NextAttemptAt: at, CreatedAt: at}
}

func TestNotifyWebhooksStore(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, b := notifyOrg(t, db, "A1"), notifyOrg(t, db, "B1")
		w1 := notifyHook(t, db, a, 1)
		w2 := notifyHook(t, db, a, 2)
		notifyHook(t, db, a, 3)
		// The per-org limit holds.
		err := db.CreateWebhook(ctx, notify.Webhook{ID: uuid.Must(uuid.NewV7()).String(), OrgID: a, URL: "https://x.kz", Secret: "s", CreatedAt: time.Now()}, 3, audit.Record{})
		if !problem.Is(err, problem.Conflict) {
			t.Fatalf("fourth webhook: %v", err)
		}
		hooks, err := db.ListWebhooks(ctx, a)
		if err != nil || len(hooks) != 3 || hooks[0].ID != w1.ID || hooks[0].Secret != w1.Secret || hooks[0].URL != w1.URL || !hooks[0].CreatedAt.Equal(w1.CreatedAt) {
			t.Fatalf("list: %v %+v", err, hooks)
		}
		if hooks, _ := db.ListWebhooks(ctx, b); len(hooks) != 0 {
			t.Fatalf("another org's webhooks: %v", hooks)
		}
		// Another organisation cannot delete it.
		if err := db.DeleteWebhook(ctx, b, w2.ID, time.Now(), audit.Record{}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("foreign delete: %v", err)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if err := db.EnqueueDeliveries(ctx, []notify.Delivery{notifyDelivery(w1, "e1", now), notifyDelivery(w2, "e1", now)}); err != nil {
			t.Fatal(err)
		}
		// Deleting cancels the pending delivery; later events are not queued
		// for it; the delete is audited.
		audits := countRows(t, db, "audit_log")
		if err := db.DeleteWebhook(ctx, a, w2.ID, now, audit.Record{ActorUser: "admin", Action: "notify.webhook.delete"}); err != nil {
			t.Fatal(err)
		}
		if countRows(t, db, "audit_log") != audits+1 {
			t.Fatal("delete not audited")
		}
		if err := db.DeleteWebhook(ctx, a, w2.ID, now, audit.Record{}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if err := db.EnqueueDeliveries(ctx, []notify.Delivery{notifyDelivery(w2, "e2", now)}); err != nil {
			t.Fatal(err)
		}
		ds, err := db.ListDeliveries(ctx, a, w2.ID, "", 10)
		if err != nil || len(ds) != 1 || ds[0].Status != notify.Cancelled || ds[0].EventID != "e1" {
			t.Fatalf("deleted webhook's deliveries: %v %+v", err, ds)
		}
		if hooks, _ := db.ListWebhooks(ctx, a); len(hooks) != 2 {
			t.Fatalf("after delete: %d webhooks", len(hooks))
		}
	})
}

func countRows(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.SQL.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifyDeliveriesStore(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		org := notifyOrg(t, db, "A2")
		w := notifyHook(t, db, org, 1)
		t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		if _, ok, err := db.NextDeliveryDue(ctx); err != nil || ok {
			t.Fatalf("empty queue: %v %v", ok, err)
		}
		d1, d2 := notifyDelivery(w, "ev-1", t0), notifyDelivery(w, "ev-2", t0.Add(time.Minute))
		if err := db.EnqueueDeliveries(ctx, []notify.Delivery{d1, d2}); err != nil {
			t.Fatal(err)
		}
		// The same event again is ignored.
		dup := notifyDelivery(w, "ev-1", t0)
		if err := db.EnqueueDeliveries(ctx, []notify.Delivery{dup}); err != nil {
			t.Fatal(err)
		}
		if next, ok, err := db.NextDeliveryDue(ctx); err != nil || !ok || !next.Equal(t0) {
			t.Fatalf("next due: %v %v %v", next, ok, err)
		}
		// Only what is due is claimed, with its webhook's address and secret,
		// its attempt counted and leased.
		lease := t0.Add(30 * time.Second)
		got, err := db.ClaimDeliveries(ctx, t0, lease, 10)
		if err != nil || len(got) != 1 || got[0].ID != d1.ID || got[0].Attempts != 1 || got[0].URL != w.URL || got[0].Secret != w.Secret || string(got[0].Payload) != string(d1.Payload) {
			t.Fatalf("claim: %v %+v", err, got)
		}
		if again, _ := db.ClaimDeliveries(ctx, t0.Add(10*time.Second), lease, 10); len(again) != 0 {
			t.Fatalf("claimed a leased delivery: %+v", again)
		}
		// A retry is scheduled; then it is delivered.
		if err := db.FinishDelivery(ctx, notify.Outcome{DeliveryID: d1.ID, At: t0.Add(time.Second), StatusCode: 503, Error: "the endpoint answered 503",
			Status: notify.Pending, NextAttemptAt: t0.Add(5 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		got, _ = db.ClaimDeliveries(ctx, t0.Add(90*time.Second), t0.Add(120*time.Second), 10)
		if len(got) != 2 || got[0].ID != d1.ID || got[0].Attempts != 2 || got[0].LastStatusCode != 503 || got[1].ID != d2.ID {
			t.Fatalf("second claim: %+v", got)
		}
		at := t0.Add(91 * time.Second)
		if err := db.FinishDelivery(ctx, notify.Outcome{DeliveryID: d1.ID, At: at, StatusCode: 200, Status: notify.Delivered}); err != nil {
			t.Fatal(err)
		}
		if err := db.FinishDelivery(ctx, notify.Outcome{DeliveryID: d2.ID, At: at, Error: "connection refused", Status: notify.Failed}); err != nil {
			t.Fatal(err)
		}
		// A finished delivery is not changed by a late outcome.
		if err := db.FinishDelivery(ctx, notify.Outcome{DeliveryID: d1.ID, At: at, Status: notify.Failed}); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := db.NextDeliveryDue(ctx); ok {
			t.Fatal("nothing should be pending")
		}
		ds, err := db.ListDeliveries(ctx, org, "", "", 1)
		if err != nil || len(ds) != 1 || ds[0].ID != d2.ID || ds[0].Status != notify.Failed || ds[0].LastError != "connection refused" || !ds[0].NextAttemptAt.IsZero() {
			t.Fatalf("newest delivery: %v %+v", err, ds)
		}
		ds, err = db.ListDeliveries(ctx, org, w.ID, ds[0].ID, 10)
		if err != nil || len(ds) != 1 || ds[0].ID != d1.ID || ds[0].Status != notify.Delivered || !ds[0].DeliveredAt.Equal(at) || ds[0].Attempts != 2 {
			t.Fatalf("older delivery: %v %+v", err, ds)
		}
		if other, _ := db.ListDeliveries(ctx, notifyOrg(t, db, "B2"), "", "", 10); len(other) != 0 {
			t.Fatalf("another org sees deliveries: %v", other)
		}
	})
}

// Workers racing for the same deliveries claim each exactly once.
func TestNotifyConcurrentClaims(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		org := notifyOrg(t, db, "A3")
		w := notifyHook(t, db, org, 1)
		now := time.Now().UTC().Truncate(time.Microsecond)
		var ds []notify.Delivery
		for i := 0; i < 60; i++ {
			ds = append(ds, notifyDelivery(w, fmt.Sprint("ev-", i), now))
		}
		if err := db.EnqueueDeliveries(ctx, ds); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					got, err := db.ClaimDeliveries(ctx, now, now.Add(time.Hour), 7)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						return
					}
					mu.Lock()
					for _, d := range got {
						seen[d.ID]++
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 60 {
			t.Fatalf("claimed %d of 60", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%s claimed %d times", id, n)
			}
		}
	})
}
