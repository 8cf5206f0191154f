package server

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A bank issues and releases guarantees from its page; a declarant sees
// the guarantees it holds and cannot issue one.
func TestGuaranteePages(t *testing.T) {
	f := getFixture(t)
	bank := f.cpBrowser(t, "treasury@steppebank.kz")
	trader := f.cpBrowser(t, "trader@kazgrain.kz")
	cover, err := f.db.AccountByCode(context.Background(), f.orgs[apiBank].ID, "KZT", "guarantee_cover")
	if err != nil {
		t.Fatal(err)
	}
	r := bank.get(t, "/guarantees")
	wantIn(t, r, 200, "Customs guarantees", `id="issue-form"`, `value="`+cover.ID.String()+`"`, "Kazakh Grain Export", "STB-BG-", `href="/guarantees"`)

	until := time.Now().Add(60 * 24 * time.Hour).Format(time.DateOnly)
	form := func(amount string) url.Values {
		return url.Values{"reference": {"STB-PAGE-1"}, "principal_org": {f.orgs[apiKGE].ID}, "backing_account_id": {cover.ID.String()},
			"amount": {amount}, "valid_until": {until}}
	}
	n := f.apiCount(t, "guarantees")
	wantIn(t, bank.post(t, "/guarantees", form("92233720368547758.07")), 400, `id="issue-error"`)
	wantIn(t, bank.post(t, "/guarantees", form("abc")), 400, `id="issue-error"`)
	if f.apiCount(t, "guarantees") != n {
		t.Fatal("a refused guarantee was recorded")
	}
	r = bank.post(t, "/guarantees", form("1 500 000.00"))
	r = bank.follow(t, r)
	wantIn(t, r, 200, "The guarantee has been issued and its amount reserved.", "STB-PAGE-1", "1,500,000.00")
	if f.apiCount(t, "guarantees") != n+1 {
		t.Fatal("the guarantee was not recorded")
	}
	after, _ := f.db.GetAccount(context.Background(), cover.ID)
	if after.DebitsPending != cover.DebitsPending+1_500_000_00 {
		t.Fatalf("reserved %d, want %d more", after.DebitsPending, int64(1_500_000_00))
	}
	m := regexp.MustCompile(`<tr id="g-([0-9a-f-]{36})"><th scope="row">STB-PAGE-1`).FindStringSubmatch(string(r.body))
	if m == nil {
		t.Fatalf("no row: %s", excerpt(r.body))
	}

	// The declarant sees it, without the issue form, and cannot issue.
	r = trader.get(t, "/guarantees")
	wantIn(t, r, 200, "Guarantees held", "STB-PAGE-1", m[1])
	if strings.Contains(string(r.body), `id="issue-form"`) || strings.Contains(string(r.body), "/cancel") {
		t.Fatal("a declarant is offered the bank's forms")
	}
	wantIn(t, trader.post(t, "/guarantees", form("1.00")), 403)
	wantIn(t, trader.post(t, "/guarantees/"+m[1]+"/cancel", url.Values{}), 403)

	r = bank.follow(t, bank.post(t, "/guarantees/"+m[1]+"/cancel", url.Values{}))
	wantIn(t, r, 200, "The unused remainder has been released.", "Released")
	if a, _ := f.db.GetAccount(context.Background(), cover.ID); a.DebitsPending != cover.DebitsPending {
		t.Fatalf("pending %d after release, want %d", a.DebitsPending, cover.DebitsPending)
	}
}
