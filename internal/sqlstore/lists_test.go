package sqlstore

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"bricstown/internal/customs"
	"bricstown/internal/problem"
)

// Declaration lists are searched inside the store on both engines: by
// reference, id, names, HS code and goods description, case-insensitively
// in every script, with LIKE's wildcards taken literally, and never across
// organisations for a trader.
func TestCustomsListSearch(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		s, clk := customsTown(t, db, nil)
		ctx := context.Background()
		beef := customsBeef()
		beef.FunctionalReferenceID = "ACME-REF-0001"
		beef.Items[0].Description = "ГОВЯДИНА охлаждённая, Beef"
		acme := customsLodge(t, s, "acme", beef, customs.DocCommercialInvoice, customs.DocVeterinary)
		clk.add(48 * time.Hour)
		phones := customsPhones()
		phones.FunctionalReferenceID = "RIVAL_50%"
		rival := customsLodge(t, s, "rival", phones)

		ids := func(l []customs.Summary, err error) []string {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, x := range l {
				out = append(out, x.ID)
			}
			return out
		}
		check := func(name string, got []string, want ...string) {
			t.Helper()
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
		list := func(p any, q customs.Query) []string {
			t.Helper()
			switch p {
			case "acme":
				return ids(s.List(ctx, customsTrader("acme"), q))
			case "rival":
				return ids(s.List(ctx, customsTrader("rival"), q))
			}
			return ids(s.List(ctx, customsOfficer, q))
		}
		check("own reference", list("acme", customs.Query{Search: "acme-ref"}), acme.ID)
		check("another org's reference", list("rival", customs.Query{Search: "ACME-REF-0001"}))
		check("another org's goods", list("rival", customs.Query{Search: "beef"}))
		check("another org's party", list("rival", customs.Query{Search: "cerrado"}))
		check("own goods", list("rival", customs.Query{Search: "SMARTPHONES"}), rival.ID)
		check("HS code", list("officer", customs.Query{Search: "0201"}), acme.ID)
		check("Cyrillic folded", list("officer", customs.Query{Search: "говядина"}), acme.ID)
		check("party name", list("officer", customs.Query{Search: "shenzhen"}), rival.ID)
		check("declarant org name", list("officer", customs.Query{Search: "rival"}), rival.ID)
		check("id", list("officer", customs.Query{Search: acme.ID[len(acme.ID)-10:]}), acme.ID)
		check("percent literal", list("officer", customs.Query{Search: "50%"}), rival.ID)
		check("underscore literal", list("officer", customs.Query{Search: "l_5"}), rival.ID)
		check("wildcards are not wild", list("officer", customs.Query{Search: "%"}), rival.ID)
		check("nothing", list("officer", customs.Query{Search: "no such goods"}))
		day := customsT0.Truncate(24 * time.Hour)
		check("from", list("officer", customs.Query{From: day.Add(24 * time.Hour)}), rival.ID)
		check("to", list("officer", customs.Query{To: day.Add(24 * time.Hour)}), acme.ID)
		check("newest first, paged", list("officer", customs.Query{Newest: true, Limit: 1}), rival.ID)
		check("next page", list("officer", customs.Query{Newest: true, Limit: 1, After: rival.ID}), acme.ID)
		check("queue search", ids(s.SearchCustomsQueue(ctx, customsOfficer, customs.LaneNone, customs.Query{Search: "smart"})), rival.ID)
		check("queue border post", ids(s.SearchCustomsQueue(ctx, customsOfficer, customs.LaneNone, customs.Query{BorderPost: "kzhor", Search: "beef"})), acme.ID)
		check("quarantine search", ids(s.SearchQuarantineQueue(ctx, customsSPS, customs.Query{Search: "acme-ref"})), acme.ID)
		check("quarantine misses", ids(s.SearchQuarantineQueue(ctx, customsSPS, customs.Query{Search: "smart"})))

		for name, c := range map[string]struct {
			q     customs.Query
			field string
		}{
			"long search":   {customs.Query{Search: strings.Repeat("я", customs.MaxSearch+1)}, "q"},
			"empty period":  {customs.Query{From: day, To: day}, "to"},
			"border post":   {customs.Query{BorderPost: "HORGOS"}, "border_post"},
			"procedure":     {customs.Query{Procedure: "smuggling"}, "procedure"},
			"unknown lane":  {customs.Query{Lane: "purple"}, "lane"},
			"unknown state": {customs.Query{Statuses: []customs.Status{"lost"}}, "status"},
		} {
			_, err := s.List(ctx, customsOfficer, c.q)
			var pe *problem.Error
			if !problem.Is(err, problem.Invalid) || !errors.As(err, &pe) || pe.Fields[c.field] == "" {
				t.Errorf("%s: %v, want invalid %s", name, err, c.field)
			}
		}
	})
}
