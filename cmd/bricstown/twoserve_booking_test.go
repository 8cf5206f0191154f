package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"bricstown/internal/identity"
	"bricstown/internal/pgtest"

	"github.com/google/uuid"
)

// TestTwoServersNeverOversellASlot fires 200 concurrent booking attempts at
// one slot of 5 places through two `bricstown serve` processes on one
// PostgreSQL database, and sends every attempt twice, once to each process,
// as a client would retry after a lost answer: exactly 5 places are taken,
// both sends of a key answer the same booking, and the database holds 5
// live bookings for the slot.
func TestTwoServersNeverOversellASlot(t *testing.T) {
	dsn := pgtest.URL(t)
	town := openLedgerTown(t, dsn)
	ctx := town.ctx
	venue, err := town.ids.CreateOrg(ctx, nil, identity.NewOrg{Name: "Two Servers Hall", Kind: identity.KindEventOrganiser, Country: "AE", RegID: "TWOHALL01"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := town.ids.CreateUser(ctx, nil, venue.ID, identity.NewUser{Email: "hall@test.kz", Name: "Hall", Password: "harness-test-pw-1",
		Roles: []identity.Role{identity.OrgAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	_, venueToken, err := town.ids.CreateToken(ctx, &identity.Principal{UserID: admin.ID, OrgID: venue.ID, Roles: admin.Roles, Via: "session"}, venue.ID,
		identity.NewToken{Name: "test", Roles: []identity.Role{identity.OrgAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for i := 0; i < 4; i++ {
		_, tok := town.trader(fmt.Sprintf("Booker %d", i), fmt.Sprintf("TWOBOOK%02d", i))
		tokens = append(tokens, tok)
	}
	_, url1, _ := startChild(t, dsn)
	_, url2, _ := startChild(t, dsn)
	client := &http.Client{Timeout: 30 * time.Second}

	const places = 5
	hours := `[{"day":0,"from":"00:00","to":"24:00"},{"day":1,"from":"00:00","to":"24:00"},{"day":2,"from":"00:00","to":"24:00"},{"day":3,"from":"00:00","to":"24:00"},{"day":4,"from":"00:00","to":"24:00"},{"day":5,"from":"00:00","to":"24:00"},{"day":6,"from":"00:00","to":"24:00"}]`
	code, body, err := postJSON(ctx, client, url1+"/api/v1/booking/resources", venueToken,
		[]byte(fmt.Sprintf(`{"name":"Hall A","kind":"hall","capacity":%d,"slot_minutes":60,"horizon_days":30,"hold_minutes":15,"public":true,"hours":%s}`, places, hours)))
	if err != nil || code != http.StatusCreated {
		t.Fatalf("create resource: %d %s %v", code, body, err)
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Truncate(time.Hour).Add(26 * time.Hour).Format(time.RFC3339)

	const attempts = 200
	type answer struct {
		code int
		id   string
	}
	answers := make([][2]answer, attempts)
	var wg sync.WaitGroup
	for i := 0; i < attempts; i++ {
		key := uuid.NewString()
		tok := tokens[i%len(tokens)]
		for s, url := range []string{url1, url2} {
			wg.Add(1)
			go func(i, s int, url string) {
				defer wg.Done()
				code, body, err := postJSON(ctx, client, url+"/api/v1/booking/bookings", tok,
					[]byte(fmt.Sprintf(`{"resource_id":%q,"start":%q,"key":%q}`, res.ID, start, key)))
				if err != nil {
					t.Error(err)
					return
				}
				var b struct {
					ID   string `json:"id"`
					Code string `json:"code"`
				}
				json.Unmarshal(body, &b)
				switch {
				case code == http.StatusCreated || code == http.StatusOK:
				case code == http.StatusConflict && strings.Contains(string(body), "full"):
				default:
					t.Errorf("attempt %d on server %d: %d %s", i, s+1, code, body)
				}
				answers[i][s] = answer{code, b.ID}
			}(i, s, url)
		}
	}
	wg.Wait()
	won := map[string]bool{}
	for i, a := range answers {
		ok0 := a[0].code == http.StatusCreated || a[0].code == http.StatusOK
		ok1 := a[1].code == http.StatusCreated || a[1].code == http.StatusOK
		if ok0 != ok1 || ok0 && a[0].id != a[1].id {
			t.Errorf("key %d answered differently by the two servers: %+v", i, a)
		}
		if ok0 && a[0].code == a[1].code {
			t.Errorf("key %d: both sends answered %d; one must be the booking found again (200)", i, a[0].code)
		}
		if ok0 {
			won[a[0].id] = true
		}
	}
	if len(won) != places {
		t.Fatalf("%d bookings taken on a slot of %d places", len(won), places)
	}
	var live int
	if err := town.db.SQL.QueryRowContext(ctx, `SELECT COUNT(*) FROM bookings WHERE resource_id = $1 AND status IN ('held','confirmed','confirming')`,
		res.ID).Scan(&live); err != nil {
		t.Fatal(err)
	}
	if live != places {
		t.Fatalf("the database holds %d live bookings for a slot of %d", live, places)
	}
}
