package sqlstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"bricstown/internal/audit"
	"bricstown/internal/identity"
	"bricstown/internal/market"
	"bricstown/internal/problem"
)

// Buyer groups: private to their seller, and their prices reach exactly
// the members, under the rule own price first, then the lowest group's,
// in every service on the database as soon as a membership changes.
func TestMarketBuyerGroups(t *testing.T) {
	engines(t, func(t *testing.T, db *DB) {
		w := newMarketWorld(t, db)
		ctx := context.Background()
		if err := db.CreateOrg(ctx, identity.Org{ID: "m-d", Name: "m-d", Kind: identity.KindCompany, Country: "KZ", RegScheme: "REG", RegID: "m-d", CreatedAt: w.now},
			audit.Record{ActorUser: "test", Action: "org.create"}); err != nil {
			t.Fatal(err)
		}
		buyerD := &identity.Principal{UserID: "u-m-d", OrgID: "m-d", OrgKind: identity.KindCompany, Roles: []identity.Role{identity.Trader}}
		c := w.publish(t, w.br, coffee()) // list price 28.40 BRL
		tea := w.publish(t, w.cn, tea())
		svc := w.svc

		// Creating: a name is required and unique per seller; a bank has none.
		if _, err := svc.CreateBuyerGroup(ctx, w.br, market.NewBuyerGroup{Name: "  "}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("empty name: %v", err)
		}
		if _, err := svc.CreateBuyerGroup(ctx, w.bank, market.NewBuyerGroup{Name: "X"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a bank's group: %v", err)
		}
		whole, err := svc.CreateBuyerGroup(ctx, w.br, market.NewBuyerGroup{Name: "Wholesale partners Brazil"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.CreateBuyerGroup(ctx, w.br, market.NewBuyerGroup{Name: "Wholesale partners Brazil"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("same name twice: %v", err)
		}
		club, err := svc.CreateBuyerGroup(ctx, w.br, market.NewBuyerGroup{Name: "Coffee club"})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []string{"m-b", "m-c"} {
			if _, err := svc.AddGroupMember(ctx, w.br, whole.ID, market.NewGroupMember{BuyerOrg: b}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.AddGroupMember(ctx, w.br, club.ID, market.NewGroupMember{BuyerOrg: "m-c"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"m-b", "m-br", "nobody", ""} {
			if _, err := svc.AddGroupMember(ctx, w.br, whole.ID, market.NewGroupMember{BuyerOrg: bad}); !problem.Is(err, problem.Invalid) && !problem.Is(err, problem.Conflict) {
				t.Fatalf("member %q: %v", bad, err)
			}
		}

		// Forbidden: another seller, and the members themselves, neither list
		// nor read nor change the group; its id answers like an unknown one.
		for _, p := range []*identity.Principal{w.cn, w.buyerB} {
			if gs, err := svc.BuyerGroups(ctx, p); err != nil || len(gs) != 0 {
				t.Fatalf("%s lists %v %v", p.OrgID, gs, err)
			}
			for _, id := range []string{whole.ID, "0190f0c8-0000-7000-8000-000000000000"} {
				if _, err := svc.BuyerGroup(ctx, p, id); !problem.Is(err, problem.NotFound) {
					t.Fatalf("%s reads %s: %v", p.OrgID, id, err)
				}
				if _, err := svc.RenameBuyerGroup(ctx, p, id, market.NewBuyerGroup{Name: "Mine"}); !problem.Is(err, problem.NotFound) {
					t.Fatalf("%s renames: %v", p.OrgID, err)
				}
				if _, err := svc.AddGroupMember(ctx, p, id, market.NewGroupMember{BuyerOrg: "m-d"}); !problem.Is(err, problem.NotFound) {
					t.Fatalf("%s adds: %v", p.OrgID, err)
				}
				if err := svc.RemoveGroupMember(ctx, p, id, "m-b"); !problem.Is(err, problem.NotFound) {
					t.Fatalf("%s removes: %v", p.OrgID, err)
				}
				if err := svc.DeleteBuyerGroup(ctx, p, id); !problem.Is(err, problem.NotFound) {
					t.Fatalf("%s deletes: %v", p.OrgID, err)
				}
			}
		}
		// Nor may another seller put its price on the group.
		var fe *problem.Error
		_, err = svc.SetContractPrice(ctx, w.cn, tea.ID, market.NewContractPrice{BuyerGroup: whole.ID, UnitPrice: "1", ValidFrom: "2026-05-01", ValidTo: "2026-06-30"})
		if !errors.As(err, &fe) || fe.Fields["buyer_group"] == "" {
			t.Fatalf("cn's price on br's group: %v", err)
		}
		if g, _ := svc.BuyerGroup(ctx, w.br, whole.ID); g.Name != "Wholesale partners Brazil" || len(g.Members) != 2 {
			t.Fatalf("the group after the attempts: %+v", g)
		}

		// A price names a buyer or a group, exactly one.
		for _, in := range []market.NewContractPrice{{}, {BuyerOrg: "m-b", BuyerGroup: whole.ID}} {
			in.UnitPrice, in.ValidFrom, in.ValidTo = "20", "2026-05-01", "2026-06-30"
			if _, err := svc.SetContractPrice(ctx, w.br, c.ID, in); !problem.Is(err, problem.Invalid) {
				t.Fatalf("%+v: %v", in, err)
			}
		}
		set := func(in market.NewContractPrice) {
			t.Helper()
			if _, err := svc.SetContractPrice(ctx, w.br, c.ID, in); err != nil {
				t.Fatalf("%+v: %v", in, err)
			}
		}
		set(market.NewContractPrice{BuyerGroup: whole.ID, UnitPrice: "20", ValidFrom: "2026-05-01", ValidTo: "2026-06-30"})
		set(market.NewContractPrice{BuyerGroup: club.ID, UnitPrice: "18.50", ValidFrom: "2026-05-01", ValidTo: "2026-05-31"})
		set(market.NewContractPrice{BuyerOrg: "m-b", UnitPrice: "25", ValidFrom: "2026-05-01", ValidTo: "2026-06-30"})
		if _, err := svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerGroup: whole.ID, UnitPrice: "19.001", ValidFrom: "2026-07-01", ValidTo: "2026-07-30"}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("three decimals: %v", err)
		}
		if _, err := svc.SetContractPrice(ctx, w.br, c.ID, market.NewContractPrice{BuyerGroup: whole.ID, UnitPrice: "19", ValidFrom: "2026-06-30", ValidTo: "2026-07-30"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("overlapping group period: %v", err)
		}

		// What each buyer pays, seen the same in search, on the product and
		// by the order's price (BuyerPrice), by two services.
		other := w.second(t)
		for _, s := range []*market.Service{svc, other} {
			if err := s.BuildSearchIndex(ctx); err != nil {
				t.Fatal(err)
			}
		}
		pays := func(when string, s *market.Service, p *identity.Principal, want int64) {
			t.Helper()
			r, err := s.Search(ctx, p, market.Query{Text: "coffee"})
			if err != nil || len(r.Items) != 1 || r.Items[0].Price != want {
				t.Fatalf("%s: %s searches %+v %v, want %d", when, p.OrgID, r.Items, err, want)
			}
			o, _, err := s.Product(ctx, p, c.ID, "")
			if err != nil || o.Price != want {
				t.Fatalf("%s: %s's product %+v %v, want %d", when, p.OrgID, o.Price, err, want)
			}
			bp, err := s.BuyerPrice(ctx, p.OrgID, c.ID, w.now)
			if err != nil || (bp == 0 && want != 2840) || (bp != 0 && bp != want) {
				t.Fatalf("%s: %s's order price %d %v, want %d", when, p.OrgID, bp, err, want)
			}
		}
		pays("may", svc, w.buyerB, 2500) // own beats the group's lower price
		pays("may", svc, w.buyerC, 1850) // two groups: the lowest
		pays("may", other, w.buyerC, 1850)
		pays("may", svc, buyerD, 2840) // outside every group
		if r := w.search(t, buyerD, market.Query{Text: "coffee"}); r.Items[0].ContractPrice != 0 {
			t.Fatalf("D sees a contract price %+v", r.Items[0])
		}
		w.now = time.Date(2026, 6, 5, 10, 0, 0, 0, time.UTC) // the club's price has ended
		pays("june", svc, w.buyerC, 2000)
		pays("june", other, w.buyerC, 2000)

		// Taken out of the group through one service, C is on the list price
		// in the other at once; B keeps its own.
		if err := svc.RemoveGroupMember(ctx, w.br, whole.ID, "m-c"); err != nil {
			t.Fatal(err)
		}
		if err := svc.RemoveGroupMember(ctx, w.br, whole.ID, "m-c"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("removed twice: %v", err)
		}
		pays("removed", other, w.buyerC, 2840)
		if r, _ := other.Search(ctx, w.buyerC, market.Query{Price: "2"}); r.Facets.Total != 0 {
			t.Fatalf("C still in the group's price bucket: %+v", r.Facets)
		}
		pays("removed", other, w.buyerB, 2500)

		// Renamed and deleted by its seller; deleting ends its prices.
		if _, err := svc.RenameBuyerGroup(ctx, w.br, club.ID, market.NewBuyerGroup{Name: "Wholesale partners Brazil"}); !problem.Is(err, problem.Conflict) {
			t.Fatalf("rename onto another's name: %v", err)
		}
		if g, err := svc.RenameBuyerGroup(ctx, w.br, club.ID, market.NewBuyerGroup{Name: "Espresso club"}); err != nil || g.Name != "Espresso club" {
			t.Fatalf("rename: %+v %v", g, err)
		}
		if cs, _ := svc.ContractPrices(ctx, w.br, c.ID); len(cs) != 3 {
			t.Fatalf("seller's prices %+v", cs)
		}
		if err := svc.DeleteBuyerGroup(ctx, w.br, club.ID); err != nil {
			t.Fatal(err)
		}
		if cs, _ := svc.ContractPrices(ctx, w.br, c.ID); len(cs) != 2 {
			t.Fatalf("prices after deleting the club %+v", cs)
		}
		if gs, _ := svc.BuyerGroups(ctx, w.br); len(gs) != 1 || gs[0].ID != whole.ID || len(gs[0].Members) != 1 || gs[0].Members[0] != "m-b" {
			t.Fatalf("br's groups %+v", gs)
		}
	})
}

// The rule itself, with every case side by side.
func TestMarketEffectivePrices(t *testing.T) {
	got := market.EffectivePrices([]market.AppliedPrice{
		{ProductID: "a", UnitPrice: 500, ViaGroup: true}, {ProductID: "a", UnitPrice: 900}, {ProductID: "a", UnitPrice: 400, ViaGroup: true},
		{ProductID: "b", UnitPrice: 700, ViaGroup: true}, {ProductID: "b", UnitPrice: 600, ViaGroup: true},
		{ProductID: "c", UnitPrice: 300},
	})
	if len(got) != 3 || got["a"] != 900 || got["b"] != 600 || got["c"] != 300 {
		t.Fatalf("%v", got)
	}
}
